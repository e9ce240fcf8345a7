package io.switchyard.auth;

import java.net.http.HttpClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

@Configuration(proxyBeanMethods = false)
class AuthConfig {

    /**
     * The JDK client: its request timeout bounds the whole response, body included (Spring cancels the body stream
     * when it passes), so a Kakao that trickles bytes cannot hold a request thread past {@code readTimeout}.
     * It never retries, on a 4xx or otherwise, and follows no redirects.
     */
    @Bean
    KakaoClient kakaoClient(RestClient.Builder builder, KakaoProperties properties) {
        HttpClient httpClient = HttpClient.newBuilder()
                .connectTimeout(properties.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        JdkClientHttpRequestFactory requestFactory = new JdkClientHttpRequestFactory(httpClient);
        requestFactory.setReadTimeout(properties.readTimeout());
        return new KakaoClient(builder.clone().requestFactory(requestFactory).build(), properties);
    }
}
