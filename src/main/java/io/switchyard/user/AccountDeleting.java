package io.switchyard.user;

/**
 * Published inside the transaction that deletes an account, before the user row is anonymised: each feature ends
 * what it holds of the user (auth: every login; rooms: every membership). A listener that fails rolls the whole
 * deletion back, so an account is never half deleted: the client retries.
 */
public record AccountDeleting(long userId) {
}
