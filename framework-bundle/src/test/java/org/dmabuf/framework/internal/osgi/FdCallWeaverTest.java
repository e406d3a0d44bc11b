// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.framework.internal.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.dmabuf.api.DmaBufException;
import org.dmabuf.api.DmaBufService;
import org.dmabuf.api.Errno;
import org.dmabuf.framework.internal.core.DmaBufCore;
import org.dmabuf.framework.internal.core.DmaBufServiceView;
import org.dmabuf.framework.internal.core.FdCallers;
import org.dmabuf.framework.internal.core.LoadedModule;
import org.dmabuf.framework.internal.heap.PageHeap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The weaving hook's rewrite, run: a class with guarded calls in loops,
 * handlers, merging branches and a lambda is woven, verified by the JVM as it
 * loads, and runs; each call goes through the bridge with a lookup of that
 * very class, which the owner rule maps to a bundle and judges.
 */
class FdCallWeaverTest {
    private final Set<Class<?>> seen = ConcurrentHashMap.newKeySet();
    private final DmaBufCore core = new DmaBufCore(List.of(new PageHeap("system", false,
            new org.dmabuf.framework.internal.memory.PageAllocator("system", 64L << 20, false))));
    private final LoadedModule owner = core.openModule("owner", 7);
    private final LoadedModule other = core.openModule("other", 8);
    private Class<?> woven;

    @AfterEach
    void off() {
        FdCallers.rule(null);
    }

    private static byte[] bytes(Class<?> c) throws Exception {
        try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
            return in.readAllBytes();
        }
    }

    // a loader of its own defines the woven sample (and its lambda's class), the rest comes from the test's
    private Class<?> weaveSample() throws Exception {
        byte[] out = FdCallWeaver.weave(bytes(WeaveSample.class), getClass().getClassLoader());
        assertThat(out).as("the sample makes guarded calls").isNotNull();
        ClassLoader loader = new ClassLoader(getClass().getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.equals(WeaveSample.class.getName())) {
                    synchronized (getClassLoadingLock(name)) {
                        Class<?> c = findLoadedClass(name);
                        return c != null ? c : defineClass(name, out, 0, out.length);
                    }
                }
                return super.loadClass(name, resolve);
            }
        };
        return loader.loadClass(WeaveSample.class.getName());
    }

    private void judgeAs(long bundle) {
        FdCallers.rule(new FdCallers.Rule() {
            @Override
            public long bundleOf(Class<?> c) {
                seen.add(c);
                return c == woven ? bundle : FdCallers.NONE;
            }

            @Override
            public long stackCaller() {
                return FdCallers.NONE; // every call of the sample is woven: none may come this way
            }

            @Override
            public long libraryCaller() {
                return FdCallers.NONE;
            }

            @Override
            public boolean helper(LoadedModule o, long caller) {
                return false;
            }

            @Override
            public String name(long id) {
                return "bundle " + id;
            }
        });
    }

    @Test
    void the_woven_class_verifies_runs_and_each_call_carries_its_class() throws Exception {
        woven = weaveSample();
        judgeAs(7);
        Object sample = woven.getConstructor(DmaBufService.class).newInstance(new DmaBufServiceView(owner));
        int result = (int) woven.getMethod("cycle", int.class).invoke(sample, 4096);
        assertThat(result).as("three dups of fd 3 (4 each), and the standard streams").isEqualTo(12 + 3);
        assertThat(seen).as("the calls proved the sample's own class").containsExactly(woven);
        assertThat(owner.fds()).containsExactly(0, 1, 2);
        assertThat(core.bufferCount()).isZero();
    }

    @Test
    void woven_calls_on_another_bundles_view_and_in_a_lambda_are_refused() throws Exception {
        int fd = new DmaBufServiceView(other).heap("system").allocate(4096); // before the rule: nobody is judged
        woven = weaveSample();
        judgeAs(7); // the sample is bundle 7's; the view is bundle 8's
        Object sample = woven.getConstructor(DmaBufService.class).newInstance(new DmaBufServiceView(other));
        assertThatThrownBy(() -> {
            try {
                woven.getMethod("cycle", int.class).invoke(sample, 4096);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
        }).isInstanceOf(DmaBufException.class).hasMessageContaining("heap: other's DMA-BUF view used by bundle 7")
                .satisfies(e -> assertThat(((DmaBufException) e).errno()).isEqualTo(Errno.EBADF));
        Runnable close = (Runnable) woven.getMethod("closer", int.class).invoke(sample, fd);
        assertThatThrownBy(close::run).isInstanceOf(DmaBufException.class)
                .hasMessageContaining("close: fd " + fd + " is not bundle 7's: it is in other's fd table");
        assertThat(other.fds()).contains(fd);
    }

    @Test
    void a_class_without_guarded_calls_is_left_alone() throws Exception {
        assertThat(FdCallWeaver.weave(bytes(FdCallWeaver.class), getClass().getClassLoader())).isNull();
        assertThat(FdCallWeaver.contains("xxorg/dmabuf/api/yy".getBytes(), "org/dmabuf/api/".getBytes())).isTrue();
        assertThat(FdCallWeaver.contains("org/dmabuf/ap".getBytes(), "org/dmabuf/api/".getBytes())).isFalse();
    }
}
