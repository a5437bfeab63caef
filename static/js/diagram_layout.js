// Where each layer of a plan goes in the network diagram: columns follow the data flow left to right, lanes hold
// what runs beside the main path (a residual's shortcut, Inception's branches). Pure: plan in, positions out.

const within = (name, prefixes) => prefixes.some((p) => p === "" || name === p || name.startsWith(p + "."));

// the group (from engine/diagram.py's structure) that a row belongs to, with the part it is in
function membership(row, structure) {
  for (const group of structure) {
    if (group.kind === "residual") {
      if (within(row.name, group.body)) return { group, part: "body" };
      if (group.shortcut && within(row.name, group.shortcut)) return { group, part: "shortcut" };
    } else if (group.kind === "branches") {
      const branch = group.branches.findIndex((b) => within(row.name, [b]));
      if (branch >= 0) return { group, part: branch };
    }
  }
  return null;
}

export function layout(architecture) {
  const structure = architecture.structure || [];
  const rows = architecture.layers;
  const added = new Map(); // row name -> the row it is added to
  for (const g of structure.filter((g) => g.kind === "added")) g.rows.forEach((r) => added.set(r, g.to));
  const loops = new Map(structure.filter((g) => g.kind === "loop").map((g) => [g.at, g.label]));
  const shared = structure.find((g) => g.kind === "shared");

  const nodes = []; // {id, row, col, lane}; row null for the input and the joins
  const edges = []; // {from, to, kind}
  const arcs = []; // {from, to, via: [ids], label}: residual paths
  let col = 0;
  const input = { id: "input", row: null, col: col++, lane: 0, label: "input", shape: architecture.input_shape };
  nodes.push(input);
  let feeding = [input.id];

  const place = (row, lane, at) => {
    const node = { id: row.name, row, col: at, lane };
    nodes.push(node);
    return node;
  };
  const chain = (from, list, kind = "flow") => {
    let last = from;
    for (const node of list) {
      last.forEach((id) => edges.push({ from: id, to: node.id, kind }));
      last = [node.id];
    }
    return last;
  };

  let i = 0;
  while (i < rows.length) {
    const row = rows[i];
    if (added.has(row.name)) { i++; continue; }
    const found = membership(row, structure);
    if (!found) {
      const node = place(row, 0, col++);
      feeding = chain(feeding, [node]);
      if (loops.has(row.name)) node.loop = loops.get(row.name);
      i++;
      continue;
    }
    // every row of this group, which the plan lists one after another
    const members = [];
    while (i < rows.length && (membership(rows[i], structure) || {}).group === found.group) {
      members.push({ row: rows[i], part: membership(rows[i], structure).part });
      i++;
    }
    const start = col;
    if (found.group.kind === "branches") {
      const count = found.group.branches.length;
      let longest = 0;
      const ends = [];
      for (let b = 0; b < count; b++) {
        const branch = members.filter((m) => m.part === b);
        const lane = b - (count - 1) / 2;
        const placed = branch.map((m, k) => place(m.row, lane, start + k));
        longest = Math.max(longest, placed.length);
        ends.push(...chain(feeding, placed));
      }
      const join = { id: `join:${found.group.at}`, row: null, col: start + longest, lane: 0, label: found.group.label };
      nodes.push(join);
      ends.forEach((id) => edges.push({ from: id, to: join.id, kind: "flow" }));
      feeding = [join.id];
      col = start + longest + 1;
    } else {
      const body = members.filter((m) => m.part === "body").map((m, k) => place(m.row, 0, start + k));
      const width = body.length;
      const side = members.filter((m) => m.part === "shortcut");
      // the shortcut's own layers (a 1×1 projection, or the identity) sit under the middle of the body
      const offset = start + Math.max(0, Math.floor((width - side.length) / 2));
      const via = side.map((m, k) => place(m.row, 1, offset + k));
      const join = { id: `add:${found.group.at}:${start}`, row: null, col: start + width, lane: 0, label: "+" };
      const before = feeding;
      chain(feeding, body).forEach((id) => edges.push({ from: id, to: join.id, kind: "flow" }));
      nodes.push(join);
      before.forEach((id) => arcs.push({ from: id, to: join.id, via: via.map((n) => n.id), label: found.group.label || "" }));
      feeding = [join.id];
      col = start + width + 1;
    }
  }
  // a container's own tensors added to a layer's output (a Transformer's positions) sit above that layer
  for (const [name, target] of added) {
    const row = rows.find((r) => r.name === name);
    const to = nodes.find((n) => n.id === target);
    if (row && to) {
      place(row, -1, to.col);
      edges.push({ from: name, to: target, kind: "added" });
    }
  }
  const lanes = nodes.map((n) => n.lane);
  return {
    nodes, edges, arcs, columns: col,
    top: Math.min(0, ...lanes), bottom: Math.max(0, ...lanes),
    twins: shared ? shared.inputs : null,
    raised: arcs.some((a) => !a.via.length) || nodes.some((n) => n.loop), // arcs or loops drawn above the main lane
  };
}
