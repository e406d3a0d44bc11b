// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The hot-plug demo in a real browser: headless Chromium, driven by
 * Selenium through the system's chromedriver. Log in, open the DMA-BUF page,
 * switch the policy so that the NVIDIA driver starts and Intel's display
 * shows its frames (PRIME), stop NVIDIA on the Bundles page and watch the
 * display fall back to Intel's own rendering, start it again and watch PRIME
 * come back. Each step is a screenshot in target/screenshots.
 */
class DmaBufPageBrowserIT {
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final String IGPU = "0000:00:02.0";

    private static RunningPlatform platform;
    private static WebDriver browser;
    private static Path shots;

    @BeforeAll
    static void start() throws Exception {
        boolean present = new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute();
        if (!present && System.getenv("CI") == null) {
            Assumptions.abort("no " + CHROMIUM + " and " + CHROMEDRIVER + " here (apt-get install chromium"
                    + " chromium-driver; .ci/run installs them)");
        }
        assertThat(present).as(CHROMIUM + " and " + CHROMEDRIVER + " (.ci/run installs them)").isTrue();
        shots = Path.of(System.getProperty("screenshots", "target/screenshots"));
        Files.createDirectories(shots);
        platform = new RunningPlatform();
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM);
        o.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        browser = new ChromeDriver(service, o);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (platform != null) {
            platform.close();
        }
    }

    /** A wait that looks again when the page's live part was replaced under it (every second). */
    private static WebDriverWait await() {
        WebDriverWait w = new WebDriverWait(browser, Duration.ofSeconds(20), Duration.ofMillis(100));
        w.ignoring(StaleElementReferenceException.class);
        return w;
    }

    /** @return an element's text now, read again if the live part was replaced while reading it */
    private static String text(By by) {
        return await().until(d -> d.findElement(by).getText());
    }

    private static void shot(String name) throws Exception {
        File f = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), shots.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** @return the source line under Intel's display ("showing ..."), as the live page shows it now */
    private static String intelRenderer() {
        return text(By.cssSelector("div.display[data-device='" + IGPU + "'] .dmabuf-renderer"));
    }

    private static void open(String path) {
        // credentials in the URL for the first navigation: Chromium keeps them for the realm afterwards
        browser.get("http://admin:" + platform.password + "@127.0.0.1:" + platform.port + path);
    }

    private static long nvidiaId() throws Exception {
        Matcher m = Pattern.compile("\"id\":(\\d+),\"name\":\"nvidia").matcher(platform.get(
                "/system/console/bundles.json", true).body());
        assertThat(m.find()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static void bundleAction(long id, String action, String expectedState) throws Exception {
        open("/system/console/bundles");
        By button = By.cssSelector("tr#entry" + id + " li[title='" + action + "']");
        await().until(ExpectedConditions.elementToBeClickable(button)).click();
        await().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("tr#entry" + id),
                expectedState));
    }

    @Test
    void the_hot_plug_demo_in_the_browser() throws Exception {
        try {
            demo();
        } catch (Throwable t) { // what the browser showed when it failed, as an artefact beside the screenshots
            shot("failure");
            Files.writeString(shots.resolve("failure.html"), browser.getCurrentUrl() + "\n" + browser.getPageSource());
            Files.writeString(shots.resolve("failure-platform.log"), platform.log());
            throw t;
        }
    }

    private void demo() throws Exception {
        // 1. the page, under the default policy: nvidia is refused, Intel shows its own frames
        open("/system/console/dmabuf");
        await().until(ExpectedConditions.textToBe(By.id("dmabuf-policy-now"), "gpl-only"));
        assertThat(text(By.id("dmabuf-taint"))).contains("Tainted: P O");
        assertThat(text(By.id("dmabuf-refused")))
                .contains("nvidia: Unknown symbol dma_buf_export (err -2)");
        await().until(d -> intelRenderer().contains("i915 " + IGPU + " (own)"));
        shot("01-gpl-only-intel-renders-its-own");

        // 2. the policy switched from the page (a POST with its anti-forgery token): nvidia starts, PRIME
        new Select(browser.findElement(By.id("dmabuf-policy-select"))).selectByValue("export-symbol");
        browser.findElement(By.id("dmabuf-policy-switch")).click();
        await().until(ExpectedConditions.textToBe(By.id("dmabuf-policy-now"), "export-symbol"));
        await().until(d -> intelRenderer().contains("nvidia 0000:01:00.0 (PRIME)"));
        await().until(d -> d.findElement(By.id("dmabuf-graph")).getText().contains("nvidia"));
        assertThat(text(By.id("dmabuf-bufinfo"))).contains("nvidia-fb0");
        // the pipeline runs: frames keep coming, none bad
        String stats = statsOfIntel();
        await().until(d -> !statsOfIntel().equals(stats));
        assertThat(statsOfIntel()).contains(" 0 bad");
        shot("02-export-symbol-nvidia-renders-intel-shows-prime");

        // the fence timeline: a second recorded and drawn, nvidia's render fences a row of bars
        new Select(browser.findElement(By.id("dmabuf-trace-seconds"))).selectByValue("1");
        assertThat(browser.findElement(By.id("dmabuf-trace-json")).getAttribute("href")).endsWith(
                "/system/console/dmabuf/trace.json?seconds=1");
        browser.findElement(By.id("dmabuf-trace-draw")).click();
        await().until(d -> d.findElements(By.cssSelector("#dmabuf-timeline rect.dmabuf-fence")).size() > 0);
        assertThat(text(By.id("dmabuf-timeline"))).contains("nvidia ");
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView()",
                browser.findElement(By.id("dmabuf-timeline")));
        shot("02b-fence-timeline-of-a-second-of-prime");

        // 3. nvidia stopped on the Bundles page: Intel falls back to its own rendering; nvidia's buffers go
        long nvidia = nvidiaId();
        bundleAction(nvidia, "Stop", "Resolved");
        shot("03-bundles-page-nvidia-stopped");
        open("/system/console/dmabuf");
        await().until(d -> intelRenderer().contains("i915 " + IGPU + " (own)"));
        await().until(d -> !d.findElement(By.id("dmabuf-bufinfo")).getText().contains("nvidia-fb"));
        assertThat(platform.getBytes("/system/console/dmabuf/display/" + IGPU + ".png").headers()
                .firstValue("X-DmaBuf-Renderer")).hasValueSatisfying(r -> assertThat(r).contains("(own)"));
        shot("04-intel-renders-its-own-again");

        // 4. started again: PRIME comes back
        bundleAction(nvidia, "Start", "Active");
        open("/system/console/dmabuf");
        await().until(d -> intelRenderer().contains("nvidia 0000:01:00.0 (PRIME)"));
        assertThat(statsOfIntel()).contains(" 0 bad");
        shot("05-nvidia-back-prime-again");
    }

    private static String statsOfIntel() {
        return text(By.cssSelector("div.display[data-device='" + IGPU + "'] .dmabuf-stats"));
    }
}
