package switchyardtest;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Endpoints that exist only in tests, to drive the generic web behaviour (errors, shutdown) through real HTTP.
 * Lives outside {@code io.switchyard} so component scanning never picks it up; tests {@code @Import} it.
 */
@RestController
public class ProbeController {

    public record EchoRequest(@NotBlank String name, @NotNull @Min(1) @Max(10) Integer count) {
    }

    @PostMapping("/probe/echo")
    public EchoRequest echo(@Valid @RequestBody EchoRequest request) {
        return request;
    }

    @GetMapping("/probe/square/{n}")
    public long square(@PathVariable int n) {
        return (long) n * n;
    }

    @GetMapping("/probe/slow")
    public String slow(@RequestParam long millis) throws InterruptedException {
        Thread.sleep(millis);
        return "finished";
    }

    @GetMapping("/probe/boom")
    public String boom() {
        throw new IllegalStateException("secret internal detail");
    }
}
