package io.gitstratum.coordinator.facade.config;

import io.gitstratum.coordinator.facade.detect.DetectorSettings;
import io.gitstratum.coordinator.facade.guard.LimitSettings;
import io.gitstratum.coordinator.facade.heartbeat.LivenessSettings;
import io.gitstratum.coordinator.facade.server.ListenSettings;
import io.gitstratum.coordinator.facade.server.RingSettings;
import io.gitstratum.coordinator.facade.etcd.EtcdAccess;
import io.gitstratum.coordinator.facade.etcd.EtcdSettings;
import io.gitstratum.coordinator.facade.store.TxnLimits;
import io.gitstratum.coordinator.facade.tls.TlsSettings;
import io.gitstratum.coordinator.facade.watch.WatchSettings;
import java.util.List;
import java.util.Objects;

/**
 * Everything a facade replica is configured with, one immutable record per concern. Each concern
 * owns its flags (a nested {@code Options} class: flag, default and description together), its
 * validation (the record's constructor) and its README.md row; {@link FacadeCommand} only
 * groups them. Adding a setting touches its concern's file and the README table.
 */
public record FacadeConfig(ListenSettings listen, EtcdSettings etcd, LivenessSettings liveness,
    RingSettings ring, WatchSettings watch, DetectorSettings detector, LimitSettings limits,
    TlsSettings tls, TxnLimits txn) {
  public FacadeConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(etcd, "etcd");
    Objects.requireNonNull(liveness, "liveness");
    Objects.requireNonNull(ring, "ring");
    Objects.requireNonNull(watch, "watch");
    Objects.requireNonNull(detector, "detector");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(txn, "txn");
  }

  /** The defaults of every flag (no environment read), on {@code etcdEndpoints}. */
  public static FacadeConfig defaults(List<String> etcdEndpoints) {
    FacadeConfig defaults = FacadeCommand.defaults();
    return defaults.withEtcd(defaults.etcd().withEndpoints(etcdEndpoints, EtcdAccess.none()));
  }

  public FacadeConfig withListen(ListenSettings settings) {
    return new FacadeConfig(settings, etcd, liveness, ring, watch, detector, limits, tls, txn);
  }

  public FacadeConfig withEtcd(EtcdSettings settings) {
    return new FacadeConfig(listen, settings, liveness, ring, watch, detector, limits, tls, txn);
  }

  public FacadeConfig withLiveness(LivenessSettings settings) {
    return new FacadeConfig(listen, etcd, settings, ring, watch, detector, limits, tls, txn);
  }

  public FacadeConfig withWatch(WatchSettings settings) {
    return new FacadeConfig(listen, etcd, liveness, ring, settings, detector, limits, tls, txn);
  }

  public FacadeConfig withDetector(DetectorSettings settings) {
    return new FacadeConfig(listen, etcd, liveness, ring, watch, settings, limits, tls, txn);
  }

  public FacadeConfig withLimits(LimitSettings settings) {
    return new FacadeConfig(listen, etcd, liveness, ring, watch, detector, settings, tls, txn);
  }

  public FacadeConfig withTxn(TxnLimits settings) {
    return new FacadeConfig(listen, etcd, liveness, ring, watch, detector, limits, tls, settings);
  }

  public FacadeConfig withTls(TlsSettings settings) {
    return new FacadeConfig(listen, etcd, liveness, ring, watch, detector, limits, settings, txn);
  }
}
