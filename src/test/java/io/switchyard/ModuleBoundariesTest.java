package io.switchyard;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Package by feature, with a one-way street: features may use support, support never uses a feature. */
class ModuleBoundariesTest {

    // static: imported once for all rules, not once per test method
    private static final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.switchyard");

    @Test
    void supportDoesNotDependOnFeatures() {
        noClasses().that().resideInAPackage("io.switchyard.support..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "io.switchyard.user..", "io.switchyard.auth..", "io.switchyard.chat..", "io.switchyard.home..")
                .check(classes);
    }

    @Test
    void userDoesNotDependOnOtherFeatures() {
        noClasses().that().resideInAPackage("io.switchyard.user..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "io.switchyard.auth..", "io.switchyard.chat..", "io.switchyard.home..")
                .allowEmptyShould(true)
                .check(classes);
    }

    @Test
    void nothingReachesIntoAuth() {
        // other features see the signed-in user through support.security (CurrentUserId, the JwtDecoder), never auth
        noClasses().that().resideOutsideOfPackage("io.switchyard.auth..")
                .should().dependOnClassesThat().resideInAPackage("io.switchyard.auth..")
                .check(classes);
    }
}
