import { config, useConfig, type Config } from '../../utils/config';

/**
 * Runs `body` with some settings changed and always puts the suite's settings back. The app
 * reads the configuration per request, so the in-process server follows at once.
 */
export async function withConfig<T>(changes: Partial<Config> | ((current: Config) => Partial<Config>), body: () => Promise<T>): Promise<T> {
  const saved = config();
  useConfig({ ...saved, ...(typeof changes === 'function' ? changes(saved) : changes) });
  try {
    return await body();
  } finally {
    useConfig(saved);
  }
}
