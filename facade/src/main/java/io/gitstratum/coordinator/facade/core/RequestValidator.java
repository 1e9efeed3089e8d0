package io.gitstratum.coordinator.facade.core;

import com.google.common.net.InetAddresses;
import io.gitstratum.coordinator.admin.ConfirmDownRequest;
import io.gitstratum.coordinator.admin.DrainNodeRequest;
import io.gitstratum.coordinator.admin.GetHistoryRequest;
import io.gitstratum.coordinator.admin.PauseDetectorRequest;
import io.gitstratum.coordinator.facade.errors.InvalidArgumentException;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.SetNodeStateRequest;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The input rules of CONTRACT.md, as pure checks. Each failure is an
 * {@link InvalidArgumentException} naming the field and the rule; nothing here touches etcd.
 */
public final class RequestValidator {
  static final int MAX_ID = 128;
  static final int MAX_ADDRESS = 253;
  static final int MAX_LABELS = 64;
  static final int MAX_LABEL_KEY = 63;
  static final int MAX_LABEL_VALUE = 256;
  static final int MAX_GENERATION = 64;
  static final int MAX_ADMIN_NODES = 1000;
  static final int MAX_REASON = 1024;
  public static final int MAX_HISTORY = 1000;

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_ID + "}");
  private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9._/-]{1," + MAX_LABEL_KEY + "}");
  private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

  private RequestValidator() {}

  /**
   * Checks a registration and returns the node as it will be stored: client-sent server fields
   * cleared, state JOINING.
   */
  public static NodeInfo register(RegisterNodeRequest request) {
    if (!request.hasNode()) {
      throw new InvalidArgumentException("node", "is required");
    }
    NodeInfo node = request.getNode();
    nodeId("node.id", node.getId());
    address("node.address", node.getAddress());
    if (node.getPort() < 1 || node.getPort() > 65535) {
      throw new InvalidArgumentException("node.port", "must be 1-65535, got " + node.getPort());
    }
    if (node.getType() == NodeType.NODE_TYPE_UNKNOWN || node.getType() == NodeType.UNRECOGNIZED) {
      throw new InvalidArgumentException("node.type", "must be FRONTEND, METADATA or OBJECT");
    }
    NodeState state = node.getState();
    if (state != NodeState.NODE_STATE_UNKNOWN && state != NodeState.NODE_STATE_JOINING
        && state != NodeState.NODE_STATE_ACTIVE) {
      throw new InvalidArgumentException("node.state",
          "must be UNKNOWN, JOINING or ACTIVE on registration, got " + state);
    }
    generation("node.generation_id", node.getGenerationId());
    labels(node.getLabelsMap());
    return node.toBuilder()
        .setState(NodeState.NODE_STATE_JOINING)
        .clearLastHeartbeatAt()
        .clearSuspectCount()
        .clearRegisteredAt()
        .build();
  }

  public static void deregister(DeregisterNodeRequest request) {
    nodeId("node_id", request.getNodeId());
    generation("generation_id", request.getGenerationId());
  }

  public static void heartbeat(HeartbeatRequest request) {
    nodeId("node_id", request.getNodeId());
    generation("generation_id", request.getGenerationId());
    NodeState reported = request.getReportedState();
    if (reported == NodeState.NODE_STATE_SUSPECT || reported == NodeState.NODE_STATE_DOWN
        || reported == NodeState.UNRECOGNIZED) {
      throw new InvalidArgumentException("reported_state",
          "must be UNKNOWN, ACTIVE, JOINING or DRAINING; only the failure detector sets "
              + "SUSPECT and DOWN");
    }
  }

  /** gitstratum's legacy SetNodeState: a valid node id and a known state. */
  public static void setNodeState(SetNodeStateRequest request) {
    nodeId("node_id", request.getNodeId());
    if (request.getState() == NodeState.UNRECOGNIZED) {
      throw new InvalidArgumentException("state",
          "must be a NodeState, got " + request.getStateValue());
    }
  }

  /** ConfirmDown: 1-1000 valid node ids. */
  public static List<String> confirmDown(ConfirmDownRequest request) {
    if (request.getNodeIdsCount() == 0 || request.getNodeIdsCount() > MAX_ADMIN_NODES) {
      throw new InvalidArgumentException("node_ids", "must name 1-" + MAX_ADMIN_NODES + " nodes");
    }
    for (int i = 0; i < request.getNodeIdsCount(); i++) {
      nodeId("node_ids[" + i + "]", request.getNodeIds(i));
    }
    return request.getNodeIdsList();
  }

  public static void drain(DrainNodeRequest request) {
    nodeId("node_id", request.getNodeId());
  }

  public static void pause(PauseDetectorRequest request) {
    if (request.getReason().length() > MAX_REASON) {
      throw new InvalidArgumentException("reason", "must be at most " + MAX_REASON + " characters");
    }
  }

  /** GetHistory: an empty or valid node id, a limit of at most 1000 (0: the default). */
  public static void history(GetHistoryRequest request) {
    if (!request.getNodeId().isEmpty()) {
      nodeId("node_id", request.getNodeId());
    }
    if (request.getLimit() > MAX_HISTORY) {
      throw new InvalidArgumentException("limit", "must be at most " + MAX_HISTORY);
    }
  }

  static void nodeId(String field, String id) {
    if (id.isEmpty() || id.length() > MAX_ID || !ID.matcher(id).matches()) {
      throw new InvalidArgumentException(field,
          "must be 1-" + MAX_ID + " characters of [A-Za-z0-9._:-]");
    }
  }

  static void address(String field, String address) {
    if (address.isEmpty() || address.length() > MAX_ADDRESS) {
      throw new InvalidArgumentException(field, "must be 1-" + MAX_ADDRESS + " characters");
    }
    if (!isHostName(address) && !isIpLiteral(address)) {
      throw new InvalidArgumentException(field, "must be a host name or an IP literal");
    }
  }

  private static void generation(String field, String generation) {
    if (generation.length() > MAX_GENERATION) {
      throw new InvalidArgumentException(field, "must be at most " + MAX_GENERATION + " characters");
    }
  }

  private static void labels(Map<String, String> labels) {
    if (labels.size() > MAX_LABELS) {
      throw new InvalidArgumentException("node.labels",
          "at most " + MAX_LABELS + " labels, got " + labels.size());
    }
    for (Map.Entry<String, String> label : labels.entrySet()) {
      if (!LABEL_KEY.matcher(label.getKey()).matches()) {
        throw new InvalidArgumentException("node.labels",
            "key '" + abbreviate(label.getKey()) + "' must be 1-" + MAX_LABEL_KEY
                + " characters of [A-Za-z0-9._/-]");
      }
      if (label.getValue().length() > MAX_LABEL_VALUE) {
        throw new InvalidArgumentException("node.labels",
            "value of '" + label.getKey() + "' must be at most " + MAX_LABEL_VALUE + " characters");
      }
    }
  }

  private static boolean isHostName(String address) {
    // A trailing dot (fully qualified form) is legal in DNS; labels are checked without it.
    String name = address.endsWith(".") ? address.substring(0, address.length() - 1) : address;
    if (name.isEmpty()) {
      return false;
    }
    for (String label : name.split("\\.", -1)) {
      if (!HOST_LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIpLiteral(String address) {
    String bare = address.startsWith("[") && address.endsWith("]")
        ? address.substring(1, address.length() - 1) : address;
    return InetAddresses.isInetAddress(bare);
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
