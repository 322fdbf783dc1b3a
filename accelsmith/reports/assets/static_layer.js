/*
 * accelsmith dashboard: the static layer under the Pareto plot.
 *
 * plotly.js draws every WebGL trace of a plot into one canvas and redraws that canvas (every
 * point of every trace) whenever any trace's data changes. At 100,000 points and software
 * WebGL that is most of a second per live update. So the plot ("#pareto", a dcc.Graph) holds
 * the bulk of the points in *base* traces that are invisible there (marker opacity 0: they
 * still answer hover, click and selection) and draws only the small *live* traces (points
 * that arrived since the full draw, the Pareto front, the exact front); this script draws
 * the base traces' points once into a second plotly plot ("#pareto-base") right under it,
 * with the same plot area, axis types and ranges, and trace visibility.
 *
 * The static layer is redrawn only when the plot's full draw changes (layout.meta.draw, see
 * accelsmith/reports/panels.py: scatter_figure) or its geometry does (zoom, pan, resize,
 * legend clicks); a live update (a Dash patch of the live traces) leaves it alone.
 */
(function () {
  "use strict";

  var TOP = "#pareto .js-plotly-plot";
  var BASE_ID = "pareto-base";

  function isBase(trace) {
    return Boolean(trace && trace.meta && trace.meta.layer === "base");
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
    var visible = [];
    top.data.forEach(function (t, i) {
      if (isBase(t)) visible.push(top._fullData[i].visible === true);
    });
    return JSON.stringify({
      width: fl.width,
      height: fl.height,
      size: [s.l, s.t, s.w, s.h],
      axes: axesOf(fl).map(function (a) {
        return [a, fl[a].type, fl[a].range, fl[a].domain];
      }),
      visible: visible,
    });
  }

  function baseFigure(top) {
    var fl = top._fullLayout;
    var s = fl._size;
    var data = [];
    top.data.forEach(function (t, i) {
      if (!isBase(t)) return;
      var marker = Object.assign({}, t.marker, { opacity: 1, showscale: false });
      data.push({
        type: "scattergl",
        mode: "markers",
        x: t.x,
        y: t.y,
        xaxis: t.xaxis,
        yaxis: t.yaxis,
        marker: marker,
        hoverinfo: "skip",
        visible: top._fullData[i].visible === true,
      });
    });
    var layout = {
      width: fl.width,
      height: fl.height,
      showlegend: false,
      hovermode: false,
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
    return { data: data, layout: layout, config: { staticPlot: true, responsive: false } };
  }

  function sync(top) {
    var base = document.getElementById(BASE_ID);
    if (!base || !top._fullLayout || !top._fullLayout._size || !top.data) return;
    var draw = (top.layout.meta || {}).draw;
    var geo = geometry(top);
    var done = base._accelsmith;
    if (done && done.draw === draw && done.geometry === geo) return; // a live update
    base._accelsmith = { draw: draw, geometry: geo };
    // same draw: the data arrays are the same objects, so plotly only re-projects them
    window.Plotly.react(base, baseFigure(top));
  }

  function hook() {
    var top = document.querySelector(TOP);
    if (!top || typeof top.on !== "function" || top._accelsmithLayer) return;
    top._accelsmithLayer = true;
    top.on("plotly_afterplot", function () { sync(top); });
    sync(top);
  }

  new MutationObserver(hook).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
})();
