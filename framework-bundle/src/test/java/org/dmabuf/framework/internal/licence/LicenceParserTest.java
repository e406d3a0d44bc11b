// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.licence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bundle-License read by the kernel's rule (the table in LicenseParser's Javadoc and the README). */
class LicenceParserTest {

    @ParameterizedTest(name = "{0} -> {1} ({2})")
    @CsvSource(delimiter = '|', textBlock = """
            GPL                                        | true  | KERNEL
            GPL v2                                     | true  | KERNEL
            GPL and additional rights                  | true  | KERNEL
            Dual BSD/GPL                               | true  | KERNEL
            Dual MIT/GPL                               | true  | KERNEL
            Dual MPL/GPL                               | true  | KERNEL
            Proprietary                                | false | KERNEL
            GPL-2.0-only                               | true  | SPDX
            GPL-2.0-or-later                           | true  | SPDX
            GPL-2.0+                                   | true  | SPDX
            GPL-2.0                                    | true  | SPDX
            GPL-3.0-only                               | true  | SPDX
            LGPL-2.1-or-later                          | true  | SPDX
            MIT OR GPL-2.0-only                        | true  | SPDX
            (MIT OR GPL-2.0-only)                      | true  | SPDX
            BSD-3-Clause OR GPL-2.0-or-later           | true  | SPDX
            GPL-2.0-only WITH Linux-syscall-note       | true  | SPDX
            GPL-2.0-only AND MIT                       | true  | SPDX
            GPL-2.0-only AND (MIT OR BSD-2-Clause)     | true  | SPDX
            MIT                                        | false | SPDX
            BSD-2-Clause                               | false | SPDX
            Apache-2.0                                 | false | SPDX
            Apache-2.0 AND GPL-2.0-only                | false | SPDX
            MIT AND BSD-3-Clause                       | false | SPDX
            NVIDIA                                     | false | SPDX
            LicenseRef-NVIDIA-Proprietary              | false | SPDX
            GPL-2.0-only;link=https://spdx.org/licenses/GPL-2.0-only.html | true | SPDX
            Apache-2.0;description=Apache, GPL-2.0-only | true | SPDX
            """)
    void the_kernels_rule(String header, boolean compatible, Licence.Kind kind) {
        Licence l = LicenceParser.parse(header);
        assertThat(l.gplCompatible()).as(l.reason()).isEqualTo(compatible);
        assertThat(l.kind()).isEqualTo(kind);
        assertThat(l.warns()).isFalse();
    }

    @org.junit.jupiter.api.Test
    void no_header_is_unspecified_and_warns() {
        for (String h : new String[] {null, "", "   "}) {
            Licence l = LicenceParser.parse(h);
            assertThat(l.kind()).isEqualTo(Licence.Kind.MISSING);
            assertThat(l.gplCompatible()).isFalse();
            assertThat(l.name()).isEqualTo("unspecified");
            assertThat(l.warns()).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"GPL-2.0-only OR", "(GPL-2.0-only", "GPL-2.0-only)", "AND MIT", "GPL-2.0-only or MIT",
            "GPL-2.0-only WITH", "GPL-2.0-only WITH AND", "\"unterminated", "GPL-2.0-only,,MIT", "<<EXTERNAL>>",
            "()", "GPL-2.0-only OR (MIT AND)", "GPL@2"})
    void malformed_headers_are_proprietary_with_a_warning_naming_the_header(String header) {
        Licence l = LicenceParser.parse(header);
        assertThat(l.kind()).isEqualTo(Licence.Kind.MALFORMED);
        assertThat(l.gplCompatible()).isFalse();
        assertThat(l.warns()).isTrue();
        assertThat(l.reason()).contains("Bundle-License '" + header + "'").contains("treated as proprietary");
    }

    @org.junit.jupiter.api.Test
    void the_name_is_what_the_taint_message_shows() {
        assertThat(LicenceParser.parse("NVIDIA").name()).isEqualTo("NVIDIA");
        assertThat(LicenceParser.parse("GPL-2.0-only;link=x").name()).isEqualTo("GPL-2.0-only");
        assertThat(LicenceParser.parse("\"GPL v2\"").name()).isEqualTo("GPL v2");
    }

    // --- properties: any expression built from the grammar is read as the reference evaluates it ---

    sealed interface Node permits Id, Or, And, With {
        String text();

        LicenceParser.Class0 eval();
    }

    record Id(String id) implements Node {
        public String text() {
            return id;
        }

        public LicenceParser.Class0 eval() {
            return LicenceParser.classify(id);
        }
    }

    record Or(Node a, Node b) implements Node {
        public String text() {
            return "(" + a.text() + " OR " + b.text() + ")";
        }

        public LicenceParser.Class0 eval() {
            return a.eval().ordinal() >= b.eval().ordinal() ? a.eval() : b.eval();
        }
    }

    record And(Node a, Node b) implements Node {
        public String text() {
            return "(" + a.text() + " AND " + b.text() + ")";
        }

        public LicenceParser.Class0 eval() {
            var x = a.eval();
            var y = b.eval();
            if (x == LicenceParser.Class0.OTHER || y == LicenceParser.Class0.OTHER) {
                return LicenceParser.Class0.OTHER;
            }
            return x == LicenceParser.Class0.GPL || y == LicenceParser.Class0.GPL ? LicenceParser.Class0.GPL
                    : LicenceParser.Class0.PERMISSIVE;
        }
    }

    record With(Id base, String exception) implements Node {
        public String text() {
            return base.text() + " WITH " + exception;
        }

        public LicenceParser.Class0 eval() {
            return base.eval();
        }
    }

    @Provide
    Arbitrary<Node> expressions() {
        Arbitrary<Node> ids = Arbitraries.of(List.of("GPL-2.0-only", "GPL-2.0-or-later", "LGPL-2.1-only", "GPL-3.0+",
                "MIT", "BSD-3-Clause", "ISC", "Apache-2.0", "NVIDIA", "LicenseRef-Acme", "MPL-2.0")).map(Id::new);
        Arbitrary<Node> withs = Arbitraries.of("GPL-2.0-only", "MIT", "Apache-2.0").map(Id::new)
                .flatMap(b -> Arbitraries.of("Linux-syscall-note", "Classpath-exception-2.0")
                        .map(e -> (Node) new With((Id) b, e)));
        return Arbitraries.recursive(() -> Arbitraries.oneOf(ids, withs), this::combine, 4);
    }

    private Arbitrary<Node> combine(Arbitrary<Node> inner) {
        return Arbitraries.oneOf(inner,
                inner.tuple2().map(t -> (Node) new Or(t.get1(), t.get2())),
                inner.tuple2().map(t -> (Node) new And(t.get1(), t.get2())));
    }

    @Property(tries = 500)
    void expressions_are_read_as_the_reference_evaluates_them(@ForAll("expressions") Node e) {
        Licence l = LicenceParser.parse(e.text());
        assertThat(l.kind()).as(e.text()).isEqualTo(Licence.Kind.SPDX);
        assertThat(l.gplCompatible()).as(e.text()).isEqualTo(e.eval() == LicenceParser.Class0.GPL);
    }

    @Property(tries = 500)
    void an_or_with_a_gpl_licence_is_always_compatible(@ForAll("expressions") Node e) {
        assertThat(LicenceParser.parse("(" + e.text() + ") OR GPL-2.0-only").gplCompatible()).isTrue();
    }

    @Property(tries = 1000)
    void any_text_is_read_without_throwing(@ForAll String text) {
        Licence l = LicenceParser.parse(text);
        assertThat(l).isNotNull();
        assertThat(l.kind() == Licence.Kind.MALFORMED || l.kind() == Licence.Kind.MISSING).isEqualTo(l.warns());
    }
}
