package io.tern.broker.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tern.broker.MqttMessage;
import io.tern.broker.auth.ClientInfo;
import io.tern.broker.hook.PublishDecision;
import io.tern.broker.hook.SubscribeDecision;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Route selection: order, actions, scopes, pipelines, catch-all (without a broker). */
class RouterMatchTest {
  private static final ClientInfo ALICE = new ClientInfo("c1", "alice", null, "l", "tenant");

  private static PublishDecision publish(Router r, String topic) {
    return r.onPublish(ALICE, MqttMessage.of(topic, new byte[] {1}));
  }

  @Test
  void firstMatchingRouteWinsWhateverItsFirstLevel() {
    List<String> hit = new ArrayList<>();
    Router r = Router.create(x -> x
        .publish(":any/special", ctx -> { hit.add("param-first"); return RouteDecision.allow(); })
        .publish("a/special", ctx -> { hit.add("literal"); return RouteDecision.refuse(); })
        .publish("a/:x", ctx -> { hit.add("a/:x " + ctx.param("x")); return RouteDecision.allow(); }));
    assertThat(publish(r, "a/special").isContinue()).isTrue();
    publish(r, "a/other");
    assertThat(hit).containsExactly("param-first", "a/:x other");
  }

  @Test
  void routesApplyOnlyToTheirActionsAndUnmatchedTopicsAreLeftAlone() {
    Router r = Router.create(x -> x.subscribe("admin/*rest", ctx -> RouteDecision.grant(0)));
    assertThat(publish(r, "admin/x").isContinue()).isTrue(); // no publish route: not the router's business
    SubscribeDecision d = r.onSubscribe(ALICE, "admin/#", 2);
    assertThat(d.qos()).isZero();
    assertThat(r.onSubscribe(ALICE, "other", 1)).isSameAs(SubscribeDecision.CONTINUE);
  }

  @Test
  void controllerWithoutAHandlerForTheActionRefusesIt() {
    Router r = Router.create(x -> x.route("ro/*rest", new Controller() {
      @Override
      public RouteDecision subscribe(RouteContext ctx) {
        return RouteDecision.allow();
      }
    }));
    assertThat(publish(r, "ro/x").isRefuse()).isTrue();
    assertThat(r.onSubscribe(ALICE, "ro/x", 1).isRefuse()).isFalse();
  }

  @Test
  void scopesPipelinesAndPipesRunInOrderWithParamsAndAuthInfo() {
    List<String> trace = new ArrayList<>();
    Router r = Router.create(x -> x
        .pipeline("log", ctx -> { trace.add("log " + ctx.authInfo()); return RouteDecision.CONTINUE; })
        .scope("user/:username/", s -> s
            .pipeThrough("log")
            .pipe(ctx -> ctx.param("username").equals(ctx.username()) ? RouteDecision.CONTINUE : RouteDecision.refuse())
            .pipe(ctx -> RouteDecision.next(ctx.withMessage(ctx.message().withPayload("stamped"))))
            .publish("location", ctx -> { trace.add("controller " + ctx.payloadAsString()); return RouteDecision.allow(); })));
    PublishDecision own = publish(r, "user/alice/location");
    assertThat(own.isRewrite()).isTrue();
    assertThat(own.message().payloadAsString()).isEqualTo("stamped");
    assertThat(publish(r, "user/bob/location").isRefuse()).isTrue();
    assertThat(trace).containsExactly("log tenant", "controller stamped", "log tenant");
  }

  @Test
  void catchAllTakesWhatNoRouteMatches() {
    Router r = Router.create(x -> x
        .publish("ok/*rest", ctx -> RouteDecision.allow())
        .catchAll(ctx -> RouteDecision.refuse(0x99)));
    assertThat(publish(r, "ok/1").isContinue()).isTrue();
    assertThat(publish(r, "elsewhere").reasonCode()).isEqualTo(0x99);
  }

  @Test
  void manyRoutesAreIndexedByFirstLevel() {
    Router r = Router.create(x -> {
      for (int i = 0; i < 50; i++) {
        int n = i;
        x.publish("t" + i + "/:id", ctx -> RouteDecision.refuse(0x80 + (n % 10)));
      }
    });
    assertThat(r.size()).isEqualTo(50);
    assertThat(publish(r, "t37/x").reasonCode()).isEqualTo(0x87);
    assertThat(publish(r, "t3/x").reasonCode()).isEqualTo(0x83);
    assertThat(publish(r, "t37").isContinue()).isTrue();
    assertThat(publish(r, "bench/0/run").isContinue()).isTrue();
  }

  @Test
  void subscriptionFilterCanBeRewrittenByAPipe() {
    Router r = Router.create(x -> x.scope("mine/", s -> s
        .pipe(ctx -> RouteDecision.next(ctx.withTopic("user/" + ctx.username() + "/" + ctx.param("rest"))))
        .subscribe("*rest", ctx -> RouteDecision.grant(1))));
    SubscribeDecision d = r.onSubscribe(ALICE, "mine/inbox/#", 2);
    assertThat(d.qos()).isEqualTo(1);
    assertThat(d.filter()).isEqualTo("user/alice/inbox/#");
  }

  /** A pipe's grant caps the subscription's QoS (it was taken as "go on" and the cap was lost). */
  @Test
  void aPipesGrantCapsTheQosTheControllerGives() {
    Router r = Router.create(x -> x.scope("capped/", s -> s
        .pipe(ctx -> RouteDecision.grant(0))
        .subscribe("allow/*rest", ctx -> RouteDecision.allow())
        .subscribe("grant/*rest", ctx -> RouteDecision.grant(1))
        .subscribe("moved/*rest", ctx -> RouteDecision.next(ctx.withTopic("elsewhere/" + ctx.param("rest"))))
        .subscribe("refused/*rest", ctx -> RouteDecision.refuse())));
    assertThat(r.onSubscribe(ALICE, "capped/allow/x", 2).qos()).isZero();
    assertThat(r.onSubscribe(ALICE, "capped/grant/x", 2).qos()).isZero();
    SubscribeDecision moved = r.onSubscribe(ALICE, "capped/moved/x", 2);
    assertThat(moved.qos()).isZero();
    assertThat(moved.filter()).isEqualTo("elsewhere/x");
    assertThat(r.onSubscribe(ALICE, "capped/refused/x", 2).isRefuse()).isTrue();
  }

  @Test
  void aSharedSubscriptionIsRoutedAsItsFilterAndARewriteStaysInItsGroup() {
    Router r = Router.create(x -> x
        .scope("user/:username/", s -> s
            .pipe(ctx -> ctx.param("username").equals(ctx.username()) ? RouteDecision.CONTINUE : RouteDecision.refuse())
            .subscribe("*rest", ctx -> RouteDecision.grant(1)))
        .subscribe("alias/:x", ctx -> RouteDecision.next(ctx.withTopic("real/" + ctx.param("x") + "/" + ctx.shareName()))));
    assertThat(r.onSubscribe(ALICE, "$share/g/user/bob/#", 1).isRefuse()).isTrue();
    SubscribeDecision own = r.onSubscribe(ALICE, "$share/g/user/alice/#", 2);
    assertThat(own.qos()).isEqualTo(1);
    assertThat(own.filter()).isNull();
    assertThat(r.onSubscribe(ALICE, "$share/g/alias/t", 1).filter()).isEqualTo("$share/g/real/t/g");
  }

  @Test
  void anUnsubscribeRemovesTheFilterTheSubscribeRouteRewroteTo() {
    Router r = Router.create(x -> x
        .subscribe("alias/:x", ctx -> RouteDecision.next(ctx.withTopic("real/" + ctx.param("x"))))
        .subscribe("closed/*rest", ctx -> RouteDecision.refuse()));
    assertThat(r.onUnsubscribe(ALICE, "alias/t")).isEqualTo("real/t");
    assertThat(r.onUnsubscribe(ALICE, "$share/g/alias/t")).isEqualTo("$share/g/real/t");
    assertThat(r.onUnsubscribe(ALICE, "closed/a")).isEqualTo("closed/a");
    assertThat(r.onUnsubscribe(ALICE, "other/a")).isEqualTo("other/a");
  }

  @Test
  void aParameterNameUsedTwiceIsRejected() {
    assertThatThrownBy(() -> RoutePattern.compile("a/:x/:x")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("twice");
  }

  @Test
  void unknownPipelinesAndSecondCatchAllsAreRejected() {
    assertThatThrownBy(() -> Router.create(x -> x.pipeThrough("nope").publish("a", c -> RouteDecision.allow())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Router.create(x -> x.catchAll(c -> RouteDecision.allow()).catchAll(c -> RouteDecision.allow())))
        .isInstanceOf(IllegalStateException.class);
  }
}
