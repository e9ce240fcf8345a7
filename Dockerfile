# Switchyard app image.
#
# Build with scripts/build-image.sh <tag> (it fetches what the build needs on the host; the
# build itself needs no network). By hand, from the repo root, after `./mvnw -B -DskipTests package`
# and fetching the agent into target/agents/elastic-apm-agent.jar:
#   docker build --build-arg APP_VERSION=1.0.0 -t switchyard:1.0.0 .
#
# Build args: BASE_IMAGE (a JRE 17+ image, 25+ for the AOT cache: the official Temurin one in
# production, the local stand-in from scripts/offline-images.sh elsewhere), APP_VERSION (-> env
# APP_VERSION, the version /actuator/info reports), GIT_COMMIT (label), APP_CDS (true: a class-data
# archive from a training run, for faster start-up and warm-up).
ARG BASE_IMAGE=eclipse-temurin:25-jre

# Stage 1: split the Spring Boot jar into its layers (dependencies change rarely, the
# application often), as a plain classpath: lib/*.jar + a thin app.jar. A plain classpath
# (no Boot launcher) is what the JVM's class-data sharing can archive.
FROM ${BASE_IMAGE} AS layers
WORKDIR /build
COPY target/switchyard.jar app.jar
RUN java -Djarmode=tools -jar app.jar extract --layers --destination extracted \
 && mkdir -p extracted/dependencies extracted/spring-boot-loader extracted/snapshot-dependencies extracted/application
# The release's OpenAPI document (from the jar) at a known path: the deploy's compatibility gate reads it from the
# image before any container of it runs (scripts/api-compat.sh). A jar without it does not make an image.
RUN java -Djarmode=tools -jar app.jar extract --launcher --layers application --destination exploded \
 && install -D -m 0644 exploded/application/META-INF/api/openapi.json api/openapi.json

# Stage 2: the runtime image. Version and commit are declared last: a new version of the same
# jar reuses every layer above them (the AppCDS training run included).
FROM ${BASE_IMAGE}
ARG APP_CDS=true

RUN groupadd --system --gid 10001 switchyard \
 && useradd --system --uid 10001 --gid switchyard --home-dir /app --no-create-home --shell /usr/sbin/nologin switchyard

WORKDIR /app
COPY --from=layers /build/extracted/dependencies/ ./
COPY --from=layers /build/extracted/spring-boot-loader/ ./
COPY --from=layers /build/extracted/snapshot-dependencies/ ./
COPY --from=layers /build/extracted/application/ ./
COPY --from=layers /build/api/openapi.json /app/api/openapi.json
COPY target/agents/elastic-apm-agent.jar /opt/elastic-apm/elastic-apm-agent.jar
COPY docker/app/entrypoint.sh /usr/local/bin/switchyard-entrypoint
COPY docker/app/healthcheck.sh /usr/local/bin/switchyard-healthcheck
COPY docker/app/train.sh /usr/local/bin/switchyard-train
COPY docker/app/jvm.options /app/jvm.options

# Training run (docker/app/train.sh: embedded defaults, no network; the requests a new color gets
# first, then SIGTERM): the JDK's AOT cache (classes loaded and linked, method profiles, JDK 25+) or,
# on an older JDK, an AppCDS archive of what start-up and those requests load; the entrypoint maps it
# at every start. MaxRAM mirrors the container's memory limit so the
# training JVM sizes its heap as production does. A failed training run only costs start-up time,
# never the build.
RUN chmod 0755 /usr/local/bin/switchyard-entrypoint /usr/local/bin/switchyard-healthcheck /usr/local/bin/switchyard-train \
 && if [ "${APP_CDS}" = "true" ]; then \
      JAVA_OPTS="-XX:MaxRAM=1g" /usr/local/bin/switchyard-train \
        || { echo "training run failed; the image starts without a class-data archive" >&2; rm -f /app/app.aot /app/app.jsa; }; \
    fi \
 && rm -rf /tmp/* \
 && chmod -R a+rX /app /opt/elastic-apm

ARG APP_VERSION=0.0.0-SNAPSHOT
ARG GIT_COMMIT=unknown
LABEL org.opencontainers.image.title="switchyard" \
      org.opencontainers.image.version="${APP_VERSION}" \
      org.opencontainers.image.revision="${GIT_COMMIT}"
ENV APP_VERSION=${APP_VERSION} \
    SERVER_PORT=8080 \
    SPRING_PROFILES_ACTIVE=prod
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 CMD ["/usr/local/bin/switchyard-healthcheck"]
ENTRYPOINT ["/usr/local/bin/switchyard-entrypoint"]
