package io.switchyard.auth;

/**
 * Where to send the browser, the state it will bring back, and the PKCE verifier to keep (not in any URL) and send
 * with the login call; both valid for {@code stateExpiresIn} seconds, once.
 */
record AuthorizeUrlResponse(String authorizeUrl, String state, String codeVerifier, long stateExpiresIn) {
}
