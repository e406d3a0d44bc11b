// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.launcher;

/**
 * Felix's own log, less the one line the licence gate has already said: a
 * driver the gate refuses (its resolver hook answers with the kernel's
 * {@code Unknown symbol} lines) is reported once, in the kernel's words, by
 * the gate; Felix's auto-start error for it ({@code ERROR: Bundle nvidia
 * [37] Error starting ... Resolver hook exception ...}) would say it again
 * with a stack trace. Every other message of Felix is printed as Felix
 * prints it. Pass it as the framework property {@code felix.log.logger}:
 * the launcher does, and so do the tests' containers (test-support's
 * {@code Platform}) and the benchmarks' embedded platform.
 */
public final class FrameworkLog extends org.apache.felix.framework.Logger {
    @Override
    protected void doLog(org.osgi.framework.Bundle bundle, @SuppressWarnings("rawtypes") org.osgi.framework.ServiceReference sr,
            int level, String msg, Throwable t) {
        if (!refusedByTheGate(t)) {
            super.doLog(bundle, sr, level, msg, t);
        }
    }

    /**
     * @param t what Felix logs with a message, or {@code null}
     * @return whether it is the gate's refusal of a module, already reported by the gate
     */
    public static boolean refusedByTheGate(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            String m = String.valueOf(x.getMessage());
            if (m.startsWith("Resolver hook exception: ") && m.contains(": Unknown symbol ")) {
                return true;
            }
        }
        return false;
    }
}
