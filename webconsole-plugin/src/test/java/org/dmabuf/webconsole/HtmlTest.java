// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.xml.sax.InputSource;

/** What the page and graph.svg print of a buffer's name stays valid XML, whatever bytes the name holds. */
class HtmlTest {
    @Test
    void a_name_with_control_characters_and_markup_is_escaped_into_valid_xml() throws Exception {
        String name = "fb\u0001<b>&\"'\u0007\uFFFF\tok";
        String esc = Html.esc(name);
        assertThat(esc).isEqualTo("fb\uFFFD&lt;b&gt;&amp;&quot;&#39;\uFFFD\uFFFD\tok");
        DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new InputSource(new StringReader("<svg><text>" + esc + "</text></svg>")));
    }
}
