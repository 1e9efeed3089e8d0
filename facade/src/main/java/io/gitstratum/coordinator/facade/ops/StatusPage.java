package io.gitstratum.coordinator.facade.ops;

import io.gitstratum.coordinator.admin.Change;
import io.gitstratum.coordinator.facade.etcd.EtcdMemberHealth;
import io.gitstratum.coordinator.proto.NodeInfo;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * The status page's first view, rendered by the replica (pure): the verdict, etcd's members, how
 * far back the history goes, and the problem nodes newest first. A plain {@code curl}, a browser
 * without JavaScript and a screenshot taken at once all show it; the page's script then replaces
 * it every 2 s from {@code /status.json}.
 */
final class StatusPage {
  /** Where the template takes the first view. */
  static final String MARKER = "<!--first-view-->";

  private StatusPage() {}

  static String firstView(StatusReport.Snapshot s) {
    StatusVerdict verdict = StatusVerdict.of(s);
    StringBuilder out = new StringBuilder(8_192);
    out.append("<p id=\"verdict\" class=\"verdict verdict-").append(verdict.level()).append("\">")
        .append(escape(verdict.text())).append("</p>\n<div class=\"facts\" id=\"facts\"><span>")
        .append("version <b id=\"version\">").append(s.topology().version()).append("</b></span>");
    List<EtcdMemberHealth.Member> members = s.etcdMembers().members();
    if (!members.isEmpty()) {
      long answering = s.etcdMembers().answering();
      out.append("<span id=\"etcd-members\"").append(answering < members.size()
          ? " class=\"warn\"" : "").append(">etcd members <b>").append(answering).append(" of ")
          .append(members.size()).append("</b> answer");
      for (EtcdMemberHealth.Member m : members) {
        if (!m.answers()) {
          out.append("; ").append(escape(m.name())).append(" (").append(escape(m.endpoint()))
              .append(") does not: ").append(escape(m.problem()));
        }
      }
      out.append("</span>");
    }
    if (s.history().oldestAtMs() > 0) {
      out.append("<span id=\"history-from\">history from ").append(iso(s.history().oldestAtMs()))
          .append(" (v").append(s.history().oldestVersion()).append(")</span>");
    }
    out.append("</div>\n<table id=\"first-problems\"><thead><tr><th>id</th><th>state</th>")
        .append("<th>since</th><th>why</th><th>by</th><th>address</th></tr></thead><tbody>");
    Map<String, Change> lastOf = s.history().lastOf();
    int shown = 0;
    for (NodeInfo node : StatusReport.problems(s)) {
      if (shown++ == StatusReport.MAX_PROBLEMS) {
        break;
      }
      Change change = lastOf.get(node.getId());
      boolean known = change != null && change.getState() == node.getState() && change.getAt() > 0;
      String state = node.getState().name().replace("NODE_STATE_", "");
      out.append("<tr><td>").append(escape(node.getId())).append("</td><td class=\"state-")
          .append(state).append("\">").append(state).append("</td><td>")
          .append(known ? iso(change.getAt()) : "").append("</td><td>")
          .append(known ? escape(change.getReason()) : "").append("</td><td>")
          .append(known ? escape(change.getActor()) : "").append("</td><td>")
          .append(escape(node.getAddress())).append(':').append(node.getPort())
          .append("</td></tr>");
    }
    if (shown == 0) {
      out.append("<tr><td colspan=6>no node SUSPECT, DOWN or DRAINING</td></tr>");
    }
    return out.append("</tbody></table>").toString();
  }

  /** UTC ISO-8601 to the second, as coordctl prints times. */
  static String iso(long unixMs) {
    return Instant.ofEpochMilli(unixMs).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
