// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.licence;

import org.dmabuf.api.module.ExportPolicy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;

import org.dmabuf.api.Symbol;
import org.junit.jupiter.api.Test;

/** The gate's decisions and its kernel-worded verdicts, without OSGi. */
class LicenceGateTest {
    final LicenceGate gate = new LicenceGate(ExportPolicy.GPL_ONLY);

    static ModuleFacts.SymbolRequirement req(String symbol) {
        return new ModuleFacts.SymbolRequirement("(dmabuf.symbol=" + symbol + ")",
                m -> symbol.equals(m.get(Symbol.CAPABILITY)), false);
    }

    static ModuleFacts module(long id, String bsn, String licence, Set<String> namespaces, String... symbols) {
        return new ModuleFacts(id, bsn, LicenceParser.parse(licence), true,
                java.util.Arrays.stream(symbols).map(LicenceGateTest::req).toList(), namespaces, true);
    }

    final ModuleFacts i915 = module(1, "i915", "GPL-2.0-only", Set.of(Symbol.DMA_BUF), "dma_buf_get", "dma_buf_attach");
    final ModuleFacts nvidia = module(2, "nvidia", "NVIDIA", Set.of(Symbol.DMA_BUF), "dma_buf_export", "dma_buf_get");

    @Test
    void a_gpl_module_links_gpl_only_symbols() {
        assertThat(gate.decide(i915, Symbol.DMA_BUF_GET)).isEqualTo(LicenceGate.Decision.GRANT);
        assertThat(gate.verdict(i915).refused()).isFalse();
        assertThat(gate.verdict(i915).granted()).containsExactly(Symbol.DMA_BUF_GET, Symbol.DMA_BUF_ATTACH);
    }

    @Test
    void a_proprietary_module_is_refused_with_the_kernels_lines() {
        LicenceGate.Verdict v = gate.verdict(nvidia);
        assertThat(v.refused()).isTrue();
        assertThat(v.refusalLines()).containsExactly("nvidia: Unknown symbol dma_buf_export (err -2)",
                "nvidia: Unknown symbol dma_buf_get (err -2)");
        assertThat(v.gplIncompatibleLines()).containsExactly(
                "GPL-incompatible module nvidia uses GPL-only symbol 'dma_buf_export'",
                "GPL-incompatible module nvidia uses GPL-only symbol 'dma_buf_get'");
    }

    @Test
    void the_export_symbol_policy_opens_the_core_to_every_licence() {
        gate.policy(ExportPolicy.EXPORT_SYMBOL);
        assertThat(gate.verdict(nvidia).refused()).isFalse();
        assertThat(gate.gplOnly(Symbol.DMA_BUF_EXPORT)).isFalse();
        gate.policy(ExportPolicy.GPL_ONLY);
        assertThat(gate.verdict(nvidia).refused()).isTrue();
    }

    @Test
    void a_symbol_of_a_namespace_not_imported_is_refused_whatever_the_licence() {
        ModuleFacts noNs = module(3, "sloppy", "GPL-2.0-only", Set.of(), "dma_buf_get");
        assertThat(gate.decide(noNs, Symbol.DMA_BUF_GET)).isEqualTo(LicenceGate.Decision.DENY_NAMESPACE);
        assertThat(gate.verdict(noNs).refusalLines()).containsExactly(
                "sloppy: module uses symbol (dma_buf_get) from namespace DMA_BUF, but does not import it.");
        gate.policy(ExportPolicy.EXPORT_SYMBOL);
        assertThat(gate.verdict(noNs).refused()).as("the policy does not lift namespaces").isTrue();
    }

    @Test
    void an_unknown_symbol_is_unknown() {
        ModuleFacts m = module(4, "typo", "GPL", Set.of(Symbol.DMA_BUF), "dma_buf_exprot");
        assertThat(gate.verdict(m).refusalLines()).containsExactly("typo: Unknown symbol dma_buf_exprot (err -2)");
    }

    @Test
    void optional_requirements_never_refuse() {
        ModuleFacts m = new ModuleFacts(5, "opt", LicenceParser.parse("NVIDIA"), true,
                List.of(new ModuleFacts.SymbolRequirement("(dmabuf.symbol=dma_buf_get)",
                        x -> "dma_buf_get".equals(x.get(Symbol.CAPABILITY)), true)), Set.of(Symbol.DMA_BUF), true);
        assertThat(gate.verdict(m).refused()).isFalse();
        assertThat(gate.verdict(m).denied()).containsOnlyKeys(Symbol.DMA_BUF_GET);
    }

    @Test
    void a_gpl_module_linked_to_a_proprietary_one_inherits_its_taint_and_loses_gpl_only_symbols() {
        assertThat(gate.usesGplOnlySymbols(i915)).isTrue();
        gate.inherit(i915, "nvidia");
        assertThat(gate.proprietary(i915)).isTrue();
        assertThat(gate.inheritedFrom(1)).isEqualTo("nvidia");
        assertThat(gate.decide(i915, Symbol.DMA_BUF_GET)).isEqualTo(LicenceGate.Decision.DENY_GPL);
        assertThat(gate.taint().moduleLabel("i915")).isEqualTo("i915(P)");
        assertThat(LicenceGate.gplUsesProprietary("shim", "nvidia"))
                .isEqualTo("shim: module using GPL-only symbols uses symbols from proprietary module nvidia.");
        assertThat(LicenceGate.inheritingTaint("shim", "nvidia"))
                .isEqualTo("shim: module uses symbols from proprietary module nvidia, inheriting taint.");
    }

    @Test
    void fences_are_open_to_every_licence_but_the_gpl_only_reservation_helpers_under_either_policy() {
        ModuleFacts blob = module(9, "blob", "NVIDIA", Set.of(), "dma_fence_context_alloc", "dma_fence_init",
                "dma_resv_add_fence", "sync_file_create", "dma_resv_wait_timeout", "__dma_fence_unwrap_merge");
        for (ExportPolicy p : ExportPolicy.values()) {
            gate.policy(p);
            assertThat(gate.verdict(blob).granted()).as(p.label()).containsExactly(Symbol.DMA_FENCE_CONTEXT_ALLOC,
                    Symbol.DMA_FENCE_INIT, Symbol.SYNC_FILE_CREATE, Symbol.DMA_RESV_ADD_FENCE);
            assertThat(gate.verdict(blob).denied()).as(p.label())
                    .containsOnlyKeys(Symbol.DMA_FENCE_UNWRAP_MERGE, Symbol.DMA_RESV_WAIT_TIMEOUT);
        }
    }

    @Test
    void policies_have_names() {
        assertThat(ExportPolicy.of("export-symbol")).isEqualTo(ExportPolicy.EXPORT_SYMBOL);
        assertThat(ExportPolicy.of(" GPL-ONLY ")).isEqualTo(ExportPolicy.GPL_ONLY);
        assertThatThrownBy(() -> ExportPolicy.of("bsd")).hasMessage(
                "export policy 'bsd' is unknown; expected gpl-only or export-symbol");
    }

    @Test
    void the_symbol_table_fits_a_grant_mask_and_names_are_unique() {
        assertThat(Symbol.values().length).isLessThanOrEqualTo(64);
        for (Symbol s : Symbol.values()) {
            assertThat(Symbol.byName(s.symbolName())).isSameAs(s);
        }
    }

    @Test
    void the_generated_capabilities_follow_the_table() throws Exception {
        java.util.List<String> clauses = java.nio.file.Files.readAllLines(
                java.nio.file.Path.of("target", "generated-bnd", "symbols.bnd")).stream().skip(2)
                .map(l -> l.strip().replaceAll(",?\\\\$", "")).toList();
        assertThat(clauses).contains(
                "dmabuf.symbol;dmabuf.symbol=dma_buf_export;export=EXPORT_SYMBOL_GPL;namespace=DMA_BUF;api:List<String>=\"org.dmabuf.api.DmaBufService.export\"",
                "dmabuf.namespace;dmabuf.namespace=DMA_BUF");
        assertThat(clauses).hasSize(Symbol.values().length + 2);
    }
}
