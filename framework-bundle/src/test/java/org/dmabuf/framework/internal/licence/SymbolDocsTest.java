// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.licence;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.dmabuf.api.Symbol;
import org.junit.jupiter.api.Test;

/** The documented symbol table (docs/licence-gate.md) says what the code does, row by row. */
class SymbolDocsTest {
    @Test
    void every_symbol_has_its_row_and_every_row_its_symbol() throws Exception {
        List<String> rows = Files.readAllLines(Path.of("..", "docs", "licence-gate.md")).stream()
                .filter(l -> l.startsWith("| `") && l.contains("| `EXPORT_SYMBOL")).toList();
        assertThat(rows).hasSize(Symbol.values().length);
        for (Symbol s : Symbol.values()) {
            String row = "| `" + s.symbolName() + "` | `" + s.export() + "` | "
                    + (s.namespace() == null ? "-" : "`" + s.namespace() + "`") + " |";
            assertThat(rows).as(s.symbolName()).anyMatch(r -> r.startsWith(row));
            for (String api : s.api().split(", ")) {
                assertThat(rows).as(s.symbolName() + " entry point").anyMatch(r -> r.startsWith(row) && r.contains("`" + api + "`"));
            }
        }
    }
}
