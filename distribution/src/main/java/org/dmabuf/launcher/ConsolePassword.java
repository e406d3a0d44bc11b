// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * The Web Console's credentials. There is no default {@code admin}/{@code admin}:
 * the password is {@value #PASSWORD_PROPERTY} when conf/config.properties or a
 * system property ({@code DMABUF_OPTS=-Ddmabuf.console.password=...}) sets one, else the one in {@code etc/console.password},
 * generated at the first start and readable only by its owner. The Web
 * Console gets it hashed (its {@code {sha-256}salt-iterations-hash} form) as
 * the framework property {@code felix.webconsole.password}, before it starts:
 * there is no moment at which the default password works.
 */
public final class ConsolePassword {
    /** A password chosen in conf/config.properties (or -D) instead of a generated one. */
    public static final String PASSWORD_PROPERTY = "dmabuf.console.password";
    /** The Web Console's user name. */
    public static final String USER = "admin";
    /** Where a generated password is kept, under the distribution's home. */
    public static final String FILE = "etc/console.password";
    private static final int ITERATIONS = 1000;

    private ConsolePassword() {
    }

    /** What was decided: the password, and where it came from, for the banner. */
    public record Credentials(String user, String password, String source) {
    }

    /**
     * Decides the password and writes the Web Console's framework properties into {@code config}.
     *
     * @param home the distribution's home
     * @param config the framework properties, read and changed
     * @return the credentials
     */
    public static Credentials apply(Path home, Map<String, String> config) throws IOException {
        String chosen = config.getOrDefault(PASSWORD_PROPERTY, System.getProperty(PASSWORD_PROPERTY));
        Credentials c;
        if (chosen != null && !chosen.isBlank()) {
            c = new Credentials(USER, chosen.trim(), "set by " + PASSWORD_PROPERTY);
        } else {
            Path file = home.resolve(FILE);
            c = new Credentials(USER, readOrCreate(file), file.toString());
        }
        config.remove(PASSWORD_PROPERTY); // only its hash goes into the framework
        config.put("felix.webconsole.username", c.user());
        config.put("felix.webconsole.password", hash(c.password()));
        return c;
    }

    /** @return the password in the file, creating it (owner read/write only) with a new random one if missing */
    static String readOrCreate(Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            String p = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (!p.isEmpty()) {
                return p;
            }
        }
        Files.createDirectories(file.getParent());
        byte[] random = new byte[15];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        try {
            Files.deleteIfExists(file);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(ownerOnly));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException raced) {
            return readOrCreate(file);
        }
        Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
        return password;
    }

    /** @return the Web Console's hashed form: {@code {sha-256}<salt>-<iterations>-<base64 of the hash>} */
    public static String hash(String password) {
        byte[] saltBytes = new byte[8];
        new SecureRandom().nextBytes(saltBytes);
        String salt = HexFormat.of().formatHex(saltBytes);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] b = (salt + password).getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < ITERATIONS; i++) {
                md.reset();
                b = md.digest(b);
            }
            return "{sha-256}" + salt + "-" + ITERATIONS + "-" + Base64.getEncoder().encodeToString(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JDK", e);
        }
    }
}
