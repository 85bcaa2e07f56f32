/**
 * manifest.yml against a zod schema of the fields we use (with Slack's own limits), and against
 * the adapter: every command, shortcut, event and scope the code uses is declared, and the app
 * asks for no scope the code does not use.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  BOT_EVENTS,
  BOT_SCOPES,
  COMMANDS,
  SHORTCUTS,
  WEB_API_METHODS,
} from '../../src/adapters/slack/index.js';
import { REPO_ROOT } from '../support/paths.js';

const requestUrl = z.url().optional();

const ManifestSchema = z.object({
  display_information: z.object({
    name: z.string().min(1).max(35),
    description: z.string().max(140),
    background_color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
    long_description: z.string().min(175).max(4000),
  }),
  features: z.object({
    bot_user: z.object({ display_name: z.string().min(1).max(80), always_online: z.boolean() }),
    slash_commands: z
      .array(
        z.object({
          command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/),
          description: z.string().min(1).max(2000),
          usage_hint: z.string().min(1).max(1000),
          should_escape: z.boolean(),
          url: requestUrl,
        }),
      )
      .min(1),
    shortcuts: z.array(
      z.object({
        name: z.string().min(1).max(25),
        type: z.enum(['message', 'global']),
        callback_id: z.string().min(1).max(255),
        description: z.string().min(1).max(150),
      }),
    ),
  }),
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()).min(1) }) }),
  settings: z.object({
    event_subscriptions: z.object({ bot_events: z.array(z.string()).min(1), request_url: requestUrl }),
    interactivity: z.object({ is_enabled: z.boolean(), request_url: requestUrl }),
    org_deploy_enabled: z.boolean(),
    socket_mode_enabled: z.boolean(),
    token_rotation_enabled: z.boolean(),
  }),
});

async function manifest() {
  return ManifestSchema.parse(parse(await readFile(path.join(REPO_ROOT, 'manifest.yml'), 'utf8')));
}

describe('manifest.yml', () => {
  it('is a valid manifest of the fields we use', async () => {
    const parsed = await manifest();
    expect(parsed.settings.socket_mode_enabled).toBe(true);
    expect(parsed.settings.interactivity.is_enabled).toBe(true);
    expect(parsed.features.bot_user.display_name).toBe('aitws');
  });

  it('declares exactly the slash commands the adapter registers, escaped, with a usage hint', async () => {
    const { features } = await manifest();
    expect(features.slash_commands.map((c) => c.command).sort()).toEqual([...COMMANDS].sort());
    for (const command of features.slash_commands) {
      // Escaped, a typed @mention arrives as <@U123|name>: the member id /grant and /revoke need.
      // A typed <, > or & still arrives as &lt; &gt; &amp;, which the core's normaliser undoes.
      expect(command.should_escape).toBe(true);
      expect(command.usage_hint).toMatch(/add SECTION/);
    }
  });

  it('declares the shortcuts and events the adapter listens to', async () => {
    const { features, settings } = await manifest();
    expect(
      features.shortcuts.map(({ callback_id, type, name }) => ({ callbackId: callback_id, type, name })),
    ).toEqual(SHORTCUTS.map((s) => ({ ...s })));
    expect([...settings.event_subscriptions.bot_events].sort()).toEqual([...BOT_EVENTS].sort());
  });

  it('asks for exactly the scopes the code uses', async () => {
    const { oauth_config } = await manifest();
    expect([...oauth_config.scopes.bot].sort()).toEqual([...BOT_SCOPES]);
    expect(BOT_SCOPES).toEqual(['app_mentions:read', 'chat:write', 'commands', 'files:read', 'files:write']);
    for (const scope of Object.values(WEB_API_METHODS)) {
      if (scope !== null) expect(oauth_config.scopes.bot).toContain(scope);
    }
  });

  it('is what the adapter registers: every listener uses a declared name', async () => {
    const source = await readFile(path.join(REPO_ROOT, 'src/adapters/slack/adapter.ts'), 'utf8');
    const events = [...source.matchAll(/app\.event\('([^']+)'/g)].map((m) => m[1]);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(BOT_EVENTS as readonly (string | undefined)[]).toContain(event);
    expect(source).toMatch(/app\.command\(SLASH_COMMAND,/);
    expect(source).toMatch(/app\.shortcut\(LOAD_SHORTCUT_ID,/);
    expect(source).not.toMatch(/app\.(command|shortcut)\('/);
  });
});
