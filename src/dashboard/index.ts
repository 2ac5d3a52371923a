// The dashboard's public surface: the server and the view types its page reads.
export type {
  OverviewView,
  ParticipantHistoryView,
  StageSummary,
  StageView,
  TallyView,
  ValidatorHistoryView,
  VoteView,
} from "./api-types.js";
export { type Dashboard, type DashboardOptions, defaultAssetsDir, type LiveState, startDashboard } from "./server.js";
