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
