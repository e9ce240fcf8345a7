package io.switchyard;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** rooms <- chat <- home: the main page composes the chat features, which never reach back or into auth. */
class ChatBoundariesTest {

    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.switchyard");

    @Test
    void supportDoesNotDependOnRooms() {
        noClasses().that().resideInAPackage("io.switchyard.support..")
                .should().dependOnClassesThat().resideInAPackage("io.switchyard.room..")
                .check(classes);
    }

    @Test
    void roomsDoNotDependOnChatHomeOrAuth() {
        noClasses().that().resideInAPackage("io.switchyard.room..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "io.switchyard.chat..", "io.switchyard.home..", "io.switchyard.auth..")
                .check(classes);
    }

    @Test
    void chatDoesNotDependOnHomeOrAuth() {
        noClasses().that().resideInAPackage("io.switchyard.chat..")
                .should().dependOnClassesThat().resideInAnyPackage("io.switchyard.home..", "io.switchyard.auth..")
                .check(classes);
    }
}
