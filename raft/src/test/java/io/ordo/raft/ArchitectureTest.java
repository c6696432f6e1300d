package io.ordo.raft;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.InstantSource;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/** The layering and determinism rules of the raft module that the compiler cannot check. */
@AnalyzeClasses(packages = "io.ordo.raft", importOptions = {ImportOption.DoNotIncludeTests.class, ImportOption.DoNotIncludeJars.class})
class ArchitectureTest {
  /** The deterministic cores and their nested types (results, exceptions). */
  /** The state machines, and every class of the packages whose code only they run. */
  private static final String STATE_MACHINES =
      "io\\.ordo\\.raft\\.((partition|metadata)\\.[A-Za-z]*StateMachine|(consumer|queue)\\.[A-Za-z]*)(\\$.*)?";

  private static final DescribedPredicate<JavaCall<?>> READ_THE_CLOCK =
      DescribedPredicate.describe(
          "read the clock (System.currentTimeMillis/nanoTime, java.time *.now)",
          call ->
              (call.getTargetOwner().isEquivalentTo(System.class)
                      && (call.getName().equals("currentTimeMillis") || call.getName().equals("nanoTime")))
                  || (call.getTargetOwner().getPackageName().equals("java.time") && call.getName().equals("now")));

  @ArchTest
  static final ArchRule stateMachinesReadNoClock =
      noClasses()
          .that()
          .haveNameMatching(STATE_MACHINES)
          .should()
          .callMethodWhere(READ_THE_CLOCK)
          .because("time enters a state machine only as the timestamp the leader wrote into the command");

  @ArchTest
  static final ArchRule stateMachinesUseNoRandomnessOrClocks =
      noClasses()
          .that()
          .haveNameMatching(STATE_MACHINES)
          .should()
          .dependOnClassesThat()
          .belongToAnyOf(
              Random.class, SecureRandom.class, ThreadLocalRandom.class, SplittableRandom.class, Clock.class, InstantSource.class)
          .because("replicas that apply the same log must write the same bytes");

  @ArchTest
  static final ArchRule appliedCodeKnowsNothingOfJraft =
      noClasses()
          .that()
          .resideInAnyPackage("io.ordo.raft.consumer..", "io.ordo.raft.queue..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("com.alipay.sofa.jraft..", "io.ordo.raft.partition..", "io.ordo.raft.multiraft..")
          .because("group and queue state is applied by the partition's state machine, which drives it from above");

  @ArchTest
  static final ArchRule storageKnowsNothingOfRaft =
      noClasses()
          .that()
          .resideInAPackage("io.ordo.raft.storage..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "com.alipay.sofa.jraft..",
              "io.ordo.raft.partition..",
              "io.ordo.raft.metadata..",
              "io.ordo.raft.multiraft..",
              "io.ordo.raft.replica..")
          .because("storage holds keys, values and atomic writes; Raft drives it from above");

  @ArchTest
  static final ArchRule rocksdbHelperKnowsNothingOfWhatTheDatabasesHold =
      noClasses()
          .that()
          .resideInAPackage("io.ordo.raft.rocksdb..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("com.alipay.sofa.jraft..", "io.ordo.proto..", "io.ordo.raft.storage..", "io.ordo.raft.log..")
          .because("it opens and closes databases for both stores, whatever they hold");

  @ArchTest
  static final ArchRule raftKnowsNothingOfGrpcOrTheNode =
      noClasses()
          .that()
          .resideInAPackage("io.ordo.raft..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("io.grpc..", "io.ordo.node..", "io.ordo.client..")
          .because("layering is proto <- raft <- node");
}
