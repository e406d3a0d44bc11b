// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.browser;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * The distribution as it ships, {@code bin/dmabuf} in a process of its own
 * with the interactive console, on a free port; what a person starts with the
 * README's run command.
 */
final class RunningPlatform implements AutoCloseable {
    static final long TIMEOUT_MS = 60_000;

    final Path home;
    final int port;
    final String password;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Process process;
    private final Path log;

    RunningPlatform() throws Exception {
        home = Path.of(System.getProperty("dmabuf.home", "target/dmabuf")).toAbsolutePath();
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        log = Files.createTempFile("dmabuf-browser-", ".log");
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/dmabuf").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DMABUF_OPTS", "-Ddmabuf.http.port=" + port);
        process = pb.start();
        awaitConsole();
        password = Files.readString(home.resolve("etc/console.password"), StandardCharsets.UTF_8).trim();
    }

    /** Waits for the Web Console to answer (401 before logging in), at most {@link #TIMEOUT_MS}. */
    private void awaitConsole() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        HttpRequest probe = HttpRequest.newBuilder(uri("/system/console/dmabuf")).timeout(Duration.ofSeconds(5))
                .build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("bin/dmabuf exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 401) {
                    return;
                }
            } catch (IOException notYet) {
                // the connector is not open yet: ask again when the JDK's connect attempt returns
            }
            process.waitFor(100, TimeUnit.MILLISECONDS); // wakes at once if the platform dies
        }
        throw new IllegalStateException("no Web Console on port " + port + " within " + TIMEOUT_MS + " ms:\n" + log());
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    String basic() {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<String> get(String path, boolean authenticated) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20));
        if (authenticated) {
            b.header("Authorization", basic());
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> getBytes(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", basic())
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<String> post(String path, String form, boolean authenticated) throws Exception {
        return post(path, form, authenticated, new String[0]);
    }

    /** A POST with headers a browser would add ({@code Origin}, {@code Referer}, {@code Sec-Fetch-Site}). */
    HttpResponse<String> post(String path, String form, boolean authenticated, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(90))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (authenticated) {
            b.header("Authorization", basic());
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** @return the console's own origin, as a browser on its pages sends it */
    String origin() {
        URI u = uri("/");
        return u.getScheme() + "://" + u.getHost() + ":" + u.getPort();
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy(); // SIGTERM: the launcher's shutdown hook stops the framework
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        Files.deleteIfExists(log);
    }
}
