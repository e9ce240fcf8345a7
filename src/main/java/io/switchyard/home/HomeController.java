package io.switchyard.home;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.switchyard.support.api.ApiErrors;
import io.switchyard.support.error.ErrorCode;
import io.switchyard.support.security.CurrentUserId;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "home", description = "The main page")
class HomeController {

    private final HomeService home;

    HomeController(HomeService home) {
        this.home = home;
    }

    @Operation(summary = "Everything the main page shows: me, my rooms (most recently active first, all of them) "
            + "with last message and unread count, the popular rooms")
    @ApiErrors(ErrorCode.USER_NOT_FOUND)
    @GetMapping("/api/home")
    HomeResponse home(@CurrentUserId Long userId) {
        return home.home(userId);
    }
}
