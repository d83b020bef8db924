import yaml from 'js-yaml';
import { PlugschedError } from '../util/errors';
import { diskFiles, type ConfigFiles } from './config-files';

function cannotRead(shownAs: string, why: string): PlugschedError {
  return new PlugschedError(`${shownAs} cannot be read (${why}). Check that the file exists and is readable.`);
}

/** Read a YAML file, turning syntax errors into a message with the file, line and column. */
export function readYamlFile(path: string, shownAs: string = path, files: ConfigFiles = diskFiles): unknown {
  let text: string | null;
  try {
    text = files.read(path);
  } catch (e) {
    throw cannotRead(shownAs, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  if (text === null) throw cannotRead(shownAs, 'ENOENT');
  try {
    return yaml.load(text, { filename: shownAs, schema: yaml.DEFAULT_SCHEMA });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      const m = e.mark;
      const where = m ? ` at line ${m.line + 1}, column ${m.column + 1}` : '';
      throw new PlugschedError(`${shownAs} is not valid YAML${where}: ${e.reason}. Fix the syntax there (indentation, a missing ":" or an unclosed quote are the usual causes).`);
    }
    throw e;
  }
}
