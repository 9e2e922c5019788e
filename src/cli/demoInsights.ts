import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ActionVocabulary } from '../events/actionVocabulary.js';
import { loadEvents } from '../events/eventSources.js';
import { cleanEvents } from '../features/cleaning.js';
import { buildInsights, renderInsightsHtml } from '../insights/insightsReport.js';
import { loadModelFolder } from '../model/modelFolder.js';
import { loadSegments } from '../model/segmentsFile.js';
import type { DemoInsights, DemoRun } from './demoCommand.js';

/** Where the demo writes its insights report, next to the local stack's state. */
export const DEMO_REPORT = join('.seqscore', 'demo', 'insights.html');

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** The insights of the events the demo replayed, with the model that scored them: a summary and an HTML report. */
export async function demoInsights(run: DemoRun, reportPath = DEMO_REPORT): Promise<DemoInsights> {
  const { config } = run;
  const loaded = await loadModelFolder(config.model.dir);
  try {
    const vocabulary = new ActionVocabulary(loaded.metadata.vocabularies.actions, config.events.aliases);
    // The replay sent the source's first events, in file order.
    const sent = (await loadEvents(run.events, vocabulary)).events.slice(0, run.eventsSent);
    const { events } = cleanEvents(sent);
    const stored = await loadSegments(config.model.dir, loaded.metadata.version);
    const funnel = ['view', 'cart', 'purchase'].filter((action) => vocabulary.actions.includes(action));
    const report = buildInsights(loaded, events, {
      funnel,
      ...(stored ? { segments: stored } : {}),
      segmentOptions: { seed: 1 },
      profileHalfLifeMs: config.insights.profileHalfLifeMs,
      topK: config.model.topK,
    });
    await mkdir(dirname(reportPath), { recursive: true });
    await writeFile(reportPath, renderInsightsHtml(report));
    const { funnel: stages, sessions, transitions } = report.patterns;
    const top = transitions.top[0];
    return {
      summary: [
        `funnel           ${stages.stages.map((stage) => `${stage.action} ${stage.count}`).join(' -> ')} users (${percent(stages.stages.at(-1)?.fromFirst ?? 0)} of the first stage)`,
        `segments         k = ${report.segments.k}: ${report.segments.segments.map((segment) => `${segment.size} users, ${percent(segment.conversionRate)} converted`).join('; ')}`,
        `sessions         ${sessions.sessions}, median ${sessions.eventsPerSession.median} events, ${percent(sessions.convertingShare)} converting`,
        ...(top ? [`top transition   ${top.from} -> ${top.to} (${top.count})`] : []),
      ],
      reportPath,
    };
  } finally {
    loaded.model.dispose();
  }
}
