package io.gitstratum.coordinator.facade.store;

/**
 * The answer to a compare-and-swap commit.
 *
 * @param committed false when the version key or a guarded liveness key differed from what the
 *     batch was built on (another writer, or a liveness change the cache has not seen yet)
 * @param revision the revision of the commit, or etcd's current revision when it lost
 * @param versionModRevision when it lost: the version key's mod revision now
 * @param guardRevision when it lost: the newest mod revision among the guarded liveness keys
 *     (0 when none exists); the cache must have applied it before the batch is rebuilt
 * @param electionNow when it lost because the detector's election key was not the one a fence
 *     names ({@code LivenessGuard.ElectionHeld}): that key's create revision now (0: absent);
 *     decisions fenced by any other win can never commit. -1 when no fence failed
 */
public record CommitResult(boolean committed, long revision, long versionModRevision,
    long guardRevision, long electionNow) {
  public CommitResult(boolean committed, long revision, long versionModRevision,
      long guardRevision) {
    this(committed, revision, versionModRevision, guardRevision, -1);
  }

  /** Whether a detector fence failed. */
  public boolean fenced() {
    return electionNow >= 0;
  }

  public static CommitResult committedAt(long revision) {
    return new CommitResult(true, revision, 0, 0);
  }
}
