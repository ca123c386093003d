// Render templates with Handlebars for every reader: one JSON request on stdin, one JSON answer out.
// {"engine": "handlebars", "cases": [{"name", "template"}], "readers": [{...data}]}
"use strict";
const Handlebars = require("handlebars");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  const results = request.cases.map((c) => {
    try {
      let render;
      if (request.engine === "handlebars") {
        // strict: false, as the platforms run it: a missing field renders as nothing.
        const template = Handlebars.compile(c.template);
        render = (data) => template(data);
      } else {
        throw new Error(`unknown engine ${request.engine}`);
      }
      return { name: c.name, output: request.readers.map(render), error: "" };
    } catch (err) {
      return { name: c.name, output: null, error: String(err && err.message || err) };
    }
  });
  process.stdout.write(JSON.stringify(results));
});
