package switchyard.jenkins

/**
 * The Jenkins credentials the test provides, by id. Asking for an id that is not there fails the
 * build, as it does in Jenkins ("Could not find credentials entry with ID ...").
 */
class CredentialStore {

    private final Map<String, Map<String, String>> byId = [:]

    CredentialStore secretText(String id, String secret) {
        byId[id] = [type: 'string', secret: secret]
        this
    }

    CredentialStore usernamePassword(String id, String username, String password) {
        byId[id] = [type: 'usernamePassword', username: username, password: password]
        this
    }

    CredentialStore sshUserPrivateKey(String id, String username, String privateKey) {
        byId[id] = [type: 'sshUserPrivateKey', username: username, privateKey: privateKey]
        this
    }

    CredentialStore remove(String id) {
        byId.remove(id)
        this
    }

    Map<String, String> lookup(String id, String expectedType) {
        Map<String, String> credential = byId[id]
        if (credential == null) {
            throw new PipelineFailure("Could not find credentials entry with ID '${id}'")
        }
        if (credential.type != expectedType) {
            throw new PipelineFailure("Credentials '${id}' is of type '${credential.type}' where '${expectedType}' was expected")
        }
        credential
    }

    /** Every secret value held, for "never on a command line" assertions. */
    List<String> getSecretValues() {
        byId.values().collectMany {
            it.type == 'string' ? [it.secret] : it.type == 'sshUserPrivateKey' ? [it.privateKey] : [it.password]
        }
    }
}
