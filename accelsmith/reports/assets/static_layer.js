/*
 * accelsmith dashboard: the static layer under the Pareto plot.
 *
 * plotly.js draws every WebGL trace of a plot into one canvas, and recomputes and redraws
 * every trace whenever any trace's data changes. At 100,000 points and software WebGL that
 * is most of a second per live update. So the plot ("#pareto", a dcc.Graph) draws only the
 * small traces (points that arrived since the full draw, the Pareto front, the exact
 * front, legend entries), and this script draws the bulk of the points (the base traces,
 * styled in layout.meta.layer; see accelsmith/reports/panels.py: scatter_figure) once into
 * a second plotly plot ("#pareto-base") right under it, with the same plot area, axis types
 * and ranges, and the visibility of its legend group.
 *
 * The base traces' numbers are not in the figure: they come as one binary payload from the
 * server (layout.meta.src; format in panels.py: detach_layer), read as typed arrays. The
 * default view's payload is fetched as soon as this script runs, while the page is still
 * asking for its figure; a figure naming another payload has it fetched when it arrives.
 *
 * The static layer is redrawn only when the plot's full draw changes (layout.meta.draw) or
 * its geometry does (zoom, pan, resize, legend clicks); a live update (a Dash patch of the
 * live traces) leaves it alone. The mouse stays on the plot: where the plot has no point
 * under it, hover is asked of the static layer (Plotly.Fx.hover), and a click on a point
 * found there is reported as the plot's clickData (curveNumber: its slot, the plot's
 * traces first), as a click on a plot point is.
 */
(function () {
  "use strict";

  var TOP = "#pareto .js-plotly-plot";
  var BASE_ID = "pareto-base";

  function layerTraces(top) {
    var meta = top.layout && top.layout.meta;
    return (meta && meta.layer) || [];
  }

  // ------------------------------------------------------------------ the layer's payload
  var loaded = {}; // src -> promise of the decoded payload (the current one, the prefetched)

  function decode(buf) {
    var dv = new DataView(buf);
    var magic = String.fromCharCode(dv.getUint8(0), dv.getUint8(1), dv.getUint8(2), dv.getUint8(3));
    if (magic !== "ASL1") throw new Error("static layer: not a layer payload");
    var size = dv.getUint32(4, true);
    var text = new TextDecoder();
    var head = JSON.parse(text.decode(new Uint8Array(buf, 8, size)));
    var off = 8 + size; // 8-byte aligned (the header is padded)
    var traces = head.traces.map(function (spec) {
      var arrays = {};
      spec.arrays.forEach(function (name) {
        arrays[name] = new Float64Array(buf, off, spec.n);
        off += 8 * spec.n;
      });
      return arrays;
    });
    var ids = head.designs ? text.decode(new Uint8Array(buf, off, head.designs)).split("\n") : [];
    var start = 0;
    head.traces.forEach(function (spec, i) {
      traces[i].customdata = ids.slice(start, start + spec.n);
      start += spec.n;
    });
    return traces;
  }

  function fetchLayer(src) {
    return fetch(src).then(function (r) {
      if (!r.ok) throw new Error("static layer " + src + ": HTTP " + r.status);
      return r.arrayBuffer();
    }).then(decode);
  }

  // the default view's payload, asked for before the figure is (the page's first draw)
  var prefix = "/";
  try {
    prefix = JSON.parse(document.getElementById("_dash-config").textContent)
      .requests_pathname_prefix || "/";
  } catch (e) { /* no config: served at the root */ }
  var prefetched = fetch(prefix + "_accelsmith/layer/default").then(function (r) {
    var src = r.headers.get("X-Accelsmith-Layer");
    if (!r.ok || !src) return null;
    loaded[src] = r.arrayBuffer().then(decode);
    return src;
  }).catch(function () { return null; });

  // the payload at src: the prefetched one if it is that (waits for the prefetch's answer)
  function load(src) {
    if (!loaded[src]) {
      var mine = prefetched.then(function () {
        var got = loaded[src];
        return got && got !== mine ? got : fetchLayer(src);
      });
      loaded[src] = mine;
    }
    return loaded[src];
  }

  // a base trace is shown when its legend group is (legend clicks restyle the plot's traces)
  function shown(top, trace) {
    for (var i = 0; i < top.data.length; i++) {
      var t = top.data[i];
      if (t.legendgroup === trace.legendgroup && t.meta && t.meta.layer === "legend") {
        return t.visible === undefined || t.visible === true;
      }
    }
    return true;
  }

  function axesOf(fl) {
    return Object.keys(fl)
      .filter(function (k) { return /^[xy]axis\d*$/.test(k); })
      .sort();
  }

  // what the static layer must match: plot area, axes, which base traces are visible
  function geometry(top) {
    var fl = top._fullLayout;
    var s = fl._size;
    return JSON.stringify({
      width: fl.width,
      height: fl.height,
      size: [s.l, s.t, s.w, s.h],
      axes: axesOf(fl).map(function (a) {
        return [a, fl[a].type, fl[a].range, fl[a].domain];
      }),
      visible: layerTraces(top).map(function (t) { return shown(top, t); }),
    });
  }

  function baseFigure(top, arrays) {
    var fl = top._fullLayout;
    var s = fl._size;
    var data = layerTraces(top).map(function (t, i) {
      var a = arrays[i];
      var trace = Object.assign({}, t, {
        visible: shown(top, t), x: a.x, y: a.y, customdata: a.customdata,
      });
      if (a["marker.color"]) trace.marker = Object.assign({}, t.marker, { color: a["marker.color"] });
      return trace;
    });
    var layout = {
      width: fl.width,
      height: fl.height,
      showlegend: false,
      hovermode: "closest",
      dragmode: false,
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
      margin: {
        l: s.l,
        t: s.t,
        r: fl.width - s.l - s.w,
        b: fl.height - s.t - s.h,
        pad: 0,
        autoexpand: false,
      },
    };
    axesOf(fl).forEach(function (a) {
      layout[a] = {
        type: fl[a].type,
        range: fl[a].range.slice(),
        autorange: false,
        domain: fl[a].domain.slice(),
        anchor: fl[a].anchor,
        visible: false, // grid, ticks and titles: the plot above draws them
      };
    });
    var config = {
      displayModeBar: false,
      doubleClick: false,
      scrollZoom: false,
      showAxisDragHandles: false,
      responsive: false,
    };
    return { data: data, layout: layout, config: config };
  }

  var failed = {}; // payloads that could not be had (asked for a new full draw once)

  function sync(top) {
    var base = document.getElementById(BASE_ID);
    if (!base || !top._fullLayout || !top._fullLayout._size || !top.data) return;
    var src = (top.layout.meta || {}).src;
    if (!src) return;
    load(src).then(function (arrays) {
      var meta = top.layout.meta || {};
      if (meta.src !== src) return; // a newer full draw came meanwhile: its own sync draws it
      var geo = geometry(top);
      var done = base._accelsmith;
      if (done && done.draw === meta.draw && done.geometry === geo) return; // a live update
      Object.keys(loaded).forEach(function (k) { if (k !== src) delete loaded[k]; });
      base._accelsmith = { draw: meta.draw, geometry: geo };
      // same draw: the data arrays are the same objects, so plotly only re-projects them
      window.Plotly.react(base, baseFigure(top, arrays));
    }, function (err) {
      delete loaded[src];
      if (failed[src] || !window.dash_clientside || !window.dash_clientside.set_props) throw err;
      failed[src] = true; // the server no longer keeps it: ask for a new full draw
      window.dash_clientside.set_props("redraw", { data: Date.now() });
    });
  }

  // the subplot of the static layer under a mouse event, and the position in it [px]
  function under(base, ev) {
    if (!base._fullLayout || !base._fullLayout._plots) return null;
    var r = base.getBoundingClientRect();
    var px = ev.clientX - r.left;
    var py = ev.clientY - r.top;
    var plots = base._fullLayout._plots;
    for (var id in plots) {
      var xa = plots[id].xaxis;
      var ya = plots[id].yaxis;
      var x = px - xa._offset;
      var y = py - ya._offset;
      if (x >= 0 && x <= xa._length && y >= 0 && y <= ya._length) {
        return { id: id, xpx: x, ypx: y };
      }
    }
    return null;
  }

  function forward(top) {
    var topHover = false; // the plot has a point under the mouse: it answers
    var down = null;
    top.on("plotly_hover", function () { topHover = true; });
    top.on("plotly_unhover", function () { topHover = false; });
    top.addEventListener("mousemove", function (ev) {
      var base = document.getElementById(BASE_ID);
      if (!base || !base._fullLayout) return;
      var at = topHover || ev.buttons ? null : under(base, ev);
      if (at) window.Plotly.Fx.hover(base, { xpx: at.xpx, ypx: at.ypx }, at.id);
      else window.Plotly.Fx.unhover(base);
    });
    top.addEventListener("mouseleave", function () {
      var base = document.getElementById(BASE_ID);
      if (base && base._fullLayout) window.Plotly.Fx.unhover(base);
    });
    // plotly covers the page while the button is down (the mouse leaves the plot, the layer
    // is unhovered): the point is taken at the press, the release is seen on the document
    top.addEventListener("mousedown", function (ev) {
      var base = document.getElementById(BASE_ID);
      var hit = base && !topHover && base._hoverdata && base._hoverdata[0];
      down = hit ? { x: ev.clientX, y: ev.clientY, hit: hit } : null;
    }, true);
    document.addEventListener("mouseup", function (ev) {
      var start = down;
      down = null;
      if (!start || Math.abs(ev.clientX - start.x) + Math.abs(ev.clientY - start.y) > 3) return;
      var hit = start.hit;
      if (!window.dash_clientside || !window.dash_clientside.set_props) return;
      window.dash_clientside.set_props("pareto", {
        clickData: {
          points: [{
            curveNumber: top.data.length + hit.curveNumber,
            pointNumber: hit.pointNumber,
            pointIndex: hit.pointIndex,
            x: hit.x,
            y: hit.y,
            customdata: hit.customdata,
          }],
        },
      });
    }, true);
  }

  function hook() {
    var top = document.querySelector(TOP);
    if (!top || typeof top.on !== "function" || top._accelsmithLayer) return;
    top._accelsmithLayer = true;
    top.on("plotly_afterplot", function () { sync(top); });
    forward(top);
    sync(top);
  }

  new MutationObserver(hook).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
})();
