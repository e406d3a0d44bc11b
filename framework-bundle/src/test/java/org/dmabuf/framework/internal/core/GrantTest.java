// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dmabuf.framework.internal.core.HandleTest.assertErrno;

import org.dmabuf.api.DmaBuf;
import org.dmabuf.api.DmaDirection;
import org.dmabuf.api.Errno;
import org.dmabuf.api.Symbol;
import org.junit.jupiter.api.Test;

/** A view calls only the symbols its bundle linked: Unknown symbol (err -2) otherwise, and nothing changes. */
class GrantTest {
    final Fixture f = new Fixture();

    long grants(Symbol... symbols) {
        long m = 0;
        for (Symbol s : symbols) {
            m |= LoadedModule.bit(s);
        }
        return m;
    }

    @Test
    void a_call_without_its_symbol_is_ENOENT_with_the_kernels_message_and_changes_nothing() {
        LoadedModule limited = f.core.openModule("limited", 42,
                grants(Symbol.DMA_HEAP_FIND, Symbol.DMA_HEAP_BUFFER_ALLOC, Symbol.DMA_BUF_GET));
        int fd = limited.heap("system").allocate(4096);
        DmaBuf buf = limited.get(fd);
        assertErrno(() -> buf.attach(f.igpu), Errno.ENOENT, "limited: Unknown symbol dma_buf_attach (err -2)",
                "Require-Capability: dmabuf.symbol;filter:=\"(dmabuf.symbol=dma_buf_attach)\"");
        assertErrno(buf::put, Errno.ENOENT, "Unknown symbol dma_buf_put");
        assertThat(buf.isHeld()).isTrue();
        assertThat(limited.holdings().attachments()).isZero();
        limited.close(fd); // close(2) is a system call: no symbol
        assertThat(f.core.buffers().getFirst().count()).isEqualTo(1);
    }

    @Test
    void a_view_with_no_grants_can_still_pass_fds_around() {
        LoadedModule none = f.core.openModule("none", 43, 0);
        int fd = f.exporter.heap("system").allocate(4096);
        int mine = none.receive(f.exporter.send(fd));
        int dup = none.dup(mine);
        none.close(mine);
        assertErrno(() -> none.get(dup), Errno.ENOENT, "none: Unknown symbol dma_buf_get (err -2)");
        assertErrno(() -> none.heap("system"), Errno.ENOENT, "dma_heap_find");
        none.close(dup);
    }

    @Test
    void attachments_check_their_owners_grants() {
        LoadedModule importer = f.core.openModule("imp", 44, grants(Symbol.DMA_BUF_GET, Symbol.DMA_BUF_ATTACH));
        int fd = importer.receive(f.exporter.send(f.exporter.heap("system").allocate(4096)));
        var a = importer.get(fd).attach(f.igpu);
        assertErrno(() -> a.mapAttachment(DmaDirection.TO_DEVICE), Errno.ENOENT, "dma_buf_map_attachment");
    }
}
