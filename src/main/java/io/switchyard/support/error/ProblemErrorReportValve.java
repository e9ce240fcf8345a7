package io.switchyard.support.error;

import java.io.IOException;
import java.io.Writer;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

/**
 * Tomcat's own error page as problem+json. Requests Tomcat refuses before any servlet sees them (an encoded NUL or
 * a malformed path, a bad request line) never reach Spring's {@code /error}; the host's error report valve
 * renders them, as HTML by default. Same body shape and codes as {@link ProblemErrorController}, no details.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        HttpStatus known = HttpStatus.resolve(status);
        String title = known == null ? "Error" : known.getReasonPhrase();
        String code = ProblemCodes.forStatus(status).code();
        try {
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                // only fixed strings: nothing from the request is echoed
                writer.write("{\"type\":\"" + Problems.TYPE_PREFIX + code + "\",\"title\":\"" + title
                        + "\",\"status\":" + status + ",\"detail\":\"" + title + "\",\"code\":\"" + code + "\"}");
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException clientGone) {
            // nothing more to tell a client that went away
        }
    }
}
