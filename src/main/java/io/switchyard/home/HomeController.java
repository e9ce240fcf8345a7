package io.switchyard.home;

import io.switchyard.support.security.CurrentUserId;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
class HomeController {

    private final HomeService home;

    HomeController(HomeService home) {
        this.home = home;
    }

    @GetMapping("/api/home")
    HomeResponse home(@CurrentUserId Long userId) {
        return home.home(userId);
    }
}
