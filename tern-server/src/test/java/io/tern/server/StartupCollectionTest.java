package io.tern.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class StartupCollectionTest {
  private static final HotSpotDiagnosticMXBean HOTSPOT = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);

  @Test
  void collectsWithoutShrinkingTheHeapAndPutsTheRatioBack() {
    String ratio = HOTSPOT.getVMOption("MaxHeapFreeRatio").getValue();
    long committed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
    StartupCollection.run();
    assertThat(HOTSPOT.getVMOption("MaxHeapFreeRatio").getValue()).isEqualTo(ratio);
    // With the JVM's default ratio (70%) a full collection of this nearly empty test heap would
    // give most of it back; held at 100% it keeps what it had.
    assertThat(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted()).isGreaterThanOrEqualTo(committed);
  }
}
