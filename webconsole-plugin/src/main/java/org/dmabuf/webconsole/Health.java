// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.apache.felix.hc.api.execution.HealthCheckExecutionResult;
import org.apache.felix.hc.api.execution.HealthCheckExecutor;
import org.apache.felix.hc.api.execution.HealthCheckSelector;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The platform's health checks (tag {@code dmabuf}, as {@code hc:exec
 * dmabuf} prints them), read through Felix Health Checks' executor when it
 * runs: an optional import, so without it the page simply has no health.
 */
final class Health {
    private Health() {
    }

    /**
     * @param context the plugin's context
     * @return one line per check ({@code name: STATUS}) followed by its entries, indented; empty when
     *         Felix Health Checks do not run
     */
    static List<String> lines(BundleContext context) {
        try {
            return read(context);
        } catch (NoClassDefFoundError noHealthChecks) {
            return List.of();
        }
    }

    private static List<String> read(BundleContext context) {
        ServiceReference<HealthCheckExecutor> ref = context.getServiceReference(HealthCheckExecutor.class);
        if (ref == null) {
            return List.of();
        }
        HealthCheckExecutor hc = context.getService(ref);
        if (hc == null) {
            return List.of();
        }
        try {
            List<String> out = new ArrayList<>();
            for (HealthCheckExecutionResult r : hc.execute(HealthCheckSelector.tags("dmabuf"))) {
                Result result = r.getHealthCheckResult();
                out.add(r.getHealthCheckMetadata().getName() + ": " + result.getStatus());
                for (ResultLog.Entry e : result) {
                    out.add("  " + e.getStatus() + " " + e.getMessage());
                }
            }
            return out;
        } finally {
            context.ungetService(ref);
        }
    }
}
