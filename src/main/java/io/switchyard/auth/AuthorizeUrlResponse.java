package io.switchyard.auth;

/** Where to send the browser, and the state it will bring back (valid for {@code stateExpiresIn} seconds, once). */
record AuthorizeUrlResponse(String authorizeUrl, String state, long stateExpiresIn) {
}
