// Every command the extension contributes, by one name: what registers it, what a status-bar item,
// a notification button or a hover link runs, and what package.json declares (a unit test checks
// the two lists are the same).

export const COMMANDS = {
  openExample: 'precisionPlanner.openExample',
  fit: 'precisionPlanner.fit',
  showDashboard: 'precisionPlanner.showDashboard',
  rescan: 'precisionPlanner.rescan',
  cancelScan: 'precisionPlanner.cancelScan',
  recommend: 'precisionPlanner.recommend',
  exportReport: 'precisionPlanner.exportReport',
  showFitSummary: 'precisionPlanner.showFitSummary',
  usePaperConstants: 'precisionPlanner.usePaperConstants',
  useWorkspaceFit: 'precisionPlanner.useWorkspaceFit',
  trainRun: 'precisionPlanner.trainRun',
  launchSweep: 'precisionPlanner.launchSweep',
  suggestNextRuns: 'precisionPlanner.suggestNextRuns',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];
