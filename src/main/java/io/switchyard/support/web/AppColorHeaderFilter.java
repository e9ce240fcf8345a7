package io.switchyard.support.web;

import io.switchyard.support.app.AppProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Stamps every response with {@code X-App-Color}: the deploy verifies a switch by reading it through nginx.
 * Set before the chain runs so that error responses (401, 404, 413...) carry it too.
 */
class AppColorHeaderFilter extends OncePerRequestFilter {

    static final String HEADER = "X-App-Color";

    private final String color;

    AppColorHeaderFilter(AppProperties app) {
        this.color = app.color();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        response.setHeader(HEADER, color);
        chain.doFilter(request, response);
    }

    @Override
    protected boolean shouldNotFilterErrorDispatch() {
        return false;
    }
}
