// SPDX-License-Identifier: GPL-2.0-only
package org.dmabuf.webconsole;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Set;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a cross-site request that would change something, on every page of
 * the Web Console (the Configuration page, which could switch the export
 * policy through its Config Admin configuration, included): the console
 * authenticates with HTTP Basic, which a browser replays for any site's form,
 * so a change must come from the console's own pages. A POST, PUT, PATCH or
 * DELETE is refused (403) when the browser says it is cross-site
 * ({@code Sec-Fetch-Site}), or its {@code Origin} (else its
 * {@code Referer}) is not the console's own. A request with neither, from a
 * tool such as curl, is no browser's and passes: cross-site forgery needs a
 * browser, and every browser sends {@code Origin} with a cross-site POST.
 */
@Component(service = Filter.class, property = {
        "osgi.http.whiteboard.filter.pattern=/*",
        "osgi.http.whiteboard.context.select=(osgi.http.whiteboard.context.name=org.apache.felix.webconsole)",
        "service.description=DMA-BUF: no cross-site change through the Web Console"
})
public class SameOriginFilter implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger("dma-buf");
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (request instanceof HttpServletRequest req && response instanceof HttpServletResponse resp
                && !SAFE.contains(req.getMethod().toUpperCase(Locale.ROOT))) {
            String why = crossSite(req);
            if (why != null) {
                LOG.warn("web console: refused a cross-site {} {}: {}", req.getMethod(), req.getRequestURI(), why);
                resp.sendError(HttpServletResponse.SC_FORBIDDEN, "cross-site request refused: " + why
                        + "; expected a request from the Web Console's own pages");
                return;
            }
        }
        chain.doFilter(request, response);
    }

    /** @return why the request is cross-site, or {@code null} when it is the console's own (or no browser's) */
    static String crossSite(HttpServletRequest req) {
        String site = req.getHeader("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return "Sec-Fetch-Site is " + site;
        }
        String self = req.getScheme() + "://" + req.getHeader("Host");
        String origin = req.getHeader("Origin");
        if (origin != null) {
            return sameOrigin(origin, self) ? null : "Origin " + shorten(origin) + " is not " + self;
        }
        String referer = req.getHeader("Referer");
        if (referer != null) {
            return sameOrigin(referer, self) ? null : "Referer " + shorten(referer) + " is not of " + self;
        }
        return null;
    }

    private static boolean sameOrigin(String url, String self) {
        try {
            URI u = URI.create(url);
            URI s = URI.create(self);
            return u.getScheme() != null && u.getScheme().equalsIgnoreCase(s.getScheme()) && u.getHost() != null
                    && u.getHost().equalsIgnoreCase(s.getHost()) && port(u) == port(s);
        } catch (IllegalArgumentException e) {
            return false; // "null", or no URL at all
        }
    }

    private static int port(URI u) {
        return u.getPort() != -1 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
