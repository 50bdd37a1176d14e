/**
 * A minimal dynamic provider for the engine's own end-to-end test: it keeps one JSON file per resource, so the test
 * needs nothing but the engine. Loaded by name at run time, like the real provider.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

type Props = { dir: string; name: string; content: string };

export const fileProvider = {
  async create(inputs: Props) {
    writeFileSync(path.join(inputs.dir, `${inputs.name}.json`), JSON.stringify({ content: inputs.content }));
    return { id: inputs.name, outs: { ...inputs } };
  },
  async diff(_id: string, olds: Props, news: Props) {
    return { changes: olds.content !== news.content || olds.name !== news.name, replaces: olds.name !== news.name ? ["name"] : [] };
  },
  async read(id: string, props: Props) {
    const file = path.join(props.dir, `${id}.json`);
    if (!existsSync(file)) return { id: "", props: {} };
    const { content } = JSON.parse(readFileSync(file, "utf8")) as { content: string };
    return { id, props: { ...props, content }, inputs: { dir: props.dir, name: props.name, content } };
  },
  async update(_id: string, _olds: Props, news: Props) {
    writeFileSync(path.join(news.dir, `${news.name}.json`), JSON.stringify({ content: news.content }));
    return { outs: { ...news } };
  },
  async delete(id: string, props: Props) {
    rmSync(path.join(props.dir, `${id}.json`), { force: true });
  },
};
