package io.gitstratum.coordinator.facade.store;

/**
 * etcd refused a commit: nothing of it was applied, so unlike an unanswered commit its outcome
 * is known (see {@link EtcdRefusal}). Internal to the write path, which splits the batch or
 * answers its callers; never reaches a client as it is.
 */
public final class TxnRefusedException extends RuntimeException {
  private final EtcdRefusal refusal;

  public TxnRefusedException(EtcdRefusal refusal, Throwable cause) {
    super("etcd refused the transaction (" + refusal + "): " + cause.getMessage(), cause);
    this.refusal = refusal;
  }

  public EtcdRefusal refusal() {
    return refusal;
  }
}
