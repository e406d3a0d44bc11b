// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prints what other bundles log through the OSGi Log Service (Felix SCR,
 * FileInstall) on the platform's log, as the kernel log shows every
 * subsystem's messages: warnings and errors from all, and FileInstall's
 * information too, so that a driver dropped into {@code deploy/} is seen
 * installed, started, or refused with the licence gate's reason.
 */
@Component(immediate = true)
public class OsgiLogForwarder implements LogListener {
    private static final String FILEINSTALL = "org.apache.felix.fileinstall";

    private final LogReaderService reader;

    @Activate
    public OsgiLogForwarder(@Reference LogReaderService reader) {
        this.reader = reader;
        reader.addLogListener(this);
    }

    @Deactivate
    void deactivate() {
        reader.removeLogListener(this);
    }

    @Override
    public void logged(LogEntry entry) {
        if (entry.getLoggerName() != null && entry.getLoggerName().startsWith("Events.")) {
            return; // the Log Service's record of framework, bundle and service events: the framework prints its own errors
        }
        LogLevel level = entry.getLogLevel();
        String bsn = entry.getBundle() == null ? "osgi" : String.valueOf(entry.getBundle().getSymbolicName());
        boolean fileinstall = FILEINSTALL.equals(bsn);
        if (!LogLevel.WARN.implies(level) && !(fileinstall && level == LogLevel.INFO)) { // WARN, ERROR, AUDIT
            return;
        }
        Logger log = LoggerFactory.getLogger(fileinstall ? "deploy" : bsn);
        String msg = (fileinstall ? "deploy: " : bsn + ": ") + entry.getMessage();
        Throwable t = entry.getException();
        String cause = t == null ? "" : ": " + t.getMessage();
        switch (level) {
            case AUDIT, ERROR -> log.error("{}{}", msg, cause);
            case WARN -> log.warn("{}{}", msg, cause);
            default -> log.info("{}{}", msg, cause);
        }
    }
}
