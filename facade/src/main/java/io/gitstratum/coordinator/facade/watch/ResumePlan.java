package io.gitstratum.coordinator.facade.watch;

/**
 * How a WatchTopology stream starts from {@code since_version} (CONTRACT.md guarantee 4), decided
 * from what this replica knows; pure.
 */
enum ResumePlan {
  /** since 0, or changes no longer retained, or a version etcd never had: send a full_sync. */
  FULL_SYNC,
  /** Already current: only live changes follow. */
  LIVE,
  /** Replay the changes after since_version from the in-memory buffer. */
  REPLAY_BUFFER,
  /** Replay the changes after since_version from etcd's event log. */
  REPLAY_LOG,
  /** since_version is ahead of this replica's cache: wait for it to catch up with etcd first. */
  CATCH_UP;

  /**
   * @param since the request's since_version
   * @param cached the version this replica's cache holds
   * @param bufferHasIt whether the buffer holds every change after {@code since}
   * @param etcdVersion etcd's current version, when {@code since > cached} made us ask (else -1)
   */
  static ResumePlan decide(long since, long cached, boolean bufferHasIt, long etcdVersion) {
    if (since == 0) {
      return FULL_SYNC;
    }
    if (since > cached) {
      if (etcdVersion < 0) {
        return CATCH_UP;
      }
      return since > etcdVersion ? FULL_SYNC : CATCH_UP;
    }
    if (since == cached) {
      return LIVE;
    }
    return bufferHasIt ? REPLAY_BUFFER : REPLAY_LOG;
  }
}
