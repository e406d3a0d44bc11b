// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import org.dmabuf.api.module.ExportPolicy;
import org.dmabuf.api.module.ExportPolicyControl;
import org.dmabuf.framework.internal.licence.LicenceGate;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * The export policy as configuration ({@code org.dmabuf.policy}): set it with
 * {@code dmabuf:policy}, the Web Console's configuration page, a {@code .cfg}
 * file, or any Config Admin client. Without a configuration the gate keeps
 * the policy it started with (upstream's {@code gpl-only}).
 */
@Component(immediate = true, configurationPid = PolicyComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = PolicyComponent.Config.class)
public class PolicyComponent {
    /** The configuration PID: {@link ExportPolicyControl#PID}. */
    public static final String PID = ExportPolicyControl.PID;

    /** The export policy. */
    @ObjectClassDefinition(name = "DMA-BUF export policy",
            description = "Which licences may link the DMA-BUF core's symbols. Switching re-evaluates only the"
                    + " modules it affects; every other bundle and its buffers stay as they are.")
    public @interface Config {
        /** @return the policy */
        @AttributeDefinition(name = "Policy", options = {
                @Option(label = "gpl-only: EXPORT_SYMBOL_NS_GPL, as upstream Linux", value = "gpl-only"),
                @Option(label = "export-symbol: EXPORT_SYMBOL, the 2012 request", value = "export-symbol") })
        String policy() default "gpl-only";
    }

    @Reference
    private ExportPolicyControl control;

    @Activate
    @Modified
    void apply(Config config) {
        ExportPolicy p;
        try {
            p = ExportPolicy.of(config.policy());
        } catch (IllegalArgumentException e) {
            Gatekeeper.LOG.error("dma-buf: {}: {}; keeping the policy in force", PID, e.getMessage());
            return;
        }
        control.switchTo(p); // asynchronous: never block Config Admin's thread on a refresh
    }
}
