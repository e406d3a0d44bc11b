// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.BundleContext;

/** Runs Gogo commands in the container as a user at the console would, and captures log output. */
public final class Console {
    private final BundleContext context;

    /** @param context a bundle context in the container, through which the Gogo command processor is found */
    public Console(BundleContext context) {
        this.context = context;
    }

    /**
     * Runs one command as a user types it at {@code g!}.
     *
     * @param command the command line, for instance {@code dmabuf:bufinfo}
     * @return what the command returned, formatted as the shell prints it
     * @throws Exception what the command threw: a console error is an exception here
     */
    public String run(String command) throws Exception {
        CommandProcessor processor = context.getService(context.getServiceReference(CommandProcessor.class));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(InputStream.nullInputStream(), ps, ps);
        try {
            Object r = session.execute(command);
            return r == null ? out.toString(StandardCharsets.UTF_8) : String.valueOf(session.format(r, 0));
        } finally {
            session.close();
        }
    }

    /**
     * What ran, and what the platform logged meanwhile.
     *
     * @param <T> what the action returns
     * @param value what it returned, or {@code null} when it failed
     * @param failure what it threw (the cause of a wrapping RuntimeException), or {@code null}
     * @param log every line written to standard error while it ran
     */
    public record Captured<T>(T value, Throwable failure, String log) {
    }

    /**
     * Runs {@code action} while capturing standard error, where the platform logs (SLF4J's simple logger, in
     * the kernel's words). Standard error is the JVM's: lines other threads write while the action runs are
     * captured too, and none after it returns, so wait for what you expect inside the action.
     *
     * @param <T> what the action returns
     * @param action the work; wrap a checked exception in a RuntimeException, which is unwrapped
     * @return its outcome and the log
     */
    public static <T> Captured<T> logged(Supplier<T> action) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            return new Captured<>(action.get(), null, buf.toString(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            return new Captured<>(null, e.getCause() != null ? e.getCause() : e, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }
}
