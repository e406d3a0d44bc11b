// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.launcher;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Runs a Gogo script through the framework's {@code CommandProcessor}, one
 * command at a time, echoing each as {@code g! command} before its output,
 * and counting the commands that failed. A failed command does not stop the
 * script, so a demo shows everything it can.
 *
 * <p>The launcher lives outside the framework and cannot share Gogo's
 * classes with the shell bundle, so it talks to the service by reflection.
 */
final class ScriptRunner {
    private static final String PROCESSOR = "org.apache.felix.service.command.CommandProcessor";
    private static final int INSPECT = 0; // Converter.INSPECT
    private final BundleContext context;
    // the raw streams: Gogo replaces System.out with a per-thread stream that writes to the session's,
    // so handing it System.out would make it write to itself
    private final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
    private final PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);

    ScriptRunner(BundleContext context) {
        this.context = context;
    }

    /** @return the number of commands that failed */
    int run(Path script) throws Exception {
        Object processor = await("(objectClass=" + PROCESSOR + ")");
        await("(osgi.command.scope=dmabuf)"); // the project's commands are up
        Method create = processor.getClass().getMethod("createSession", InputStream.class, OutputStream.class,
                OutputStream.class);
        Object session = create.invoke(processor, InputStream.nullInputStream(), out, err);
        Method execute = session.getClass().getMethod("execute", CharSequence.class);
        Method format = session.getClass().getMethod("format", Object.class, int.class);
        Method close = session.getClass().getMethod("close");
        int failures = 0;
        try {
            for (String command : commands(Files.readString(script))) {
                out.println("g! " + command);
                try {
                    Object result = execute.invoke(session, command);
                    if (result != null) {
                        out.println(format.invoke(session, result, INSPECT));
                    }
                } catch (InvocationTargetException e) {
                    Throwable cause = e.getCause();
                    failures++;
                    err.println("gogo: " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
                    if (Boolean.getBoolean("dmabuf.trace")) {
                        cause.printStackTrace(err);
                    }
                }
                out.flush();
            }
        } finally {
            close.invoke(session);
        }
        if (failures > 0) {
            err.println("dmabuf: " + failures + " command(s) of " + script.getFileName() + " failed");
        }
        return failures;
    }

    private Object await(String filter) throws InvalidSyntaxException, InterruptedException {
        Filter f = FrameworkUtil.createFilter(filter);
        ServiceTracker<Object, Object> t = new ServiceTracker<>(context, f, null);
        t.open(true);
        try {
            Object s = t.waitForService(30_000);
            if (s == null) {
                throw new IllegalStateException("no service " + filter + " within 30 s; is the console bundle active?");
            }
            return s;
        } finally {
            t.close();
        }
    }

    /**
     * Splits a script into commands: one per line, except that a line with
     * unclosed braces, brackets or parentheses continues on the next; blank
     * lines and lines starting with {@code #} are skipped.
     */
    static List<String> commands(String text) throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        int depth = 0;
        for (String line : text.split("\r?\n", -1)) {
            String trimmed = line.strip();
            if (depth == 0 && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
                continue;
            }
            if (pending.length() > 0) {
                pending.append('\n');
            }
            pending.append(line);
            depth += balance(line);
            if (depth <= 0) {
                out.add(pending.toString().strip());
                pending.setLength(0);
                depth = 0;
            }
        }
        if (pending.length() > 0) {
            out.add(pending.toString().strip());
        }
        return out;
    }

    private static int balance(String line) {
        int d = 0;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '{' || c == '[' || c == '(') {
                d++;
            } else if (c == '}' || c == ']' || c == ')') {
                d--;
            }
        }
        return d;
    }
}
