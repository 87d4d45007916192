// A small line chart on a canvas: enough for the dashboard's live charts, no library needed.
'use strict';
window.TernChart = function (canvas, colors) {
  const ctx = canvas.getContext('2d');
  this.draw = function (series, labels) {
    const w = canvas.width, h = canvas.height, padL = 48, padB = 18, padT = 8;
    ctx.clearRect(0, 0, w, h);
    let max = 1;
    series.forEach(s => s.forEach(v => { if (v > max) max = v; }));
    max = niceMax(max);
    ctx.strokeStyle = '#dfe3e8'; ctx.fillStyle = '#6b7480'; ctx.font = '11px system-ui, sans-serif';
    for (let i = 0; i <= 4; i++) {
      const y = padT + (h - padT - padB) * i / 4;
      ctx.beginPath(); ctx.moveTo(padL, y); ctx.lineTo(w, y); ctx.stroke();
      ctx.fillText(format(max * (4 - i) / 4), 2, y + 4);
    }
    if (labels && labels.length) {
      ctx.fillText(labels[0], padL, h - 4);
      const last = labels[labels.length - 1];
      ctx.fillText(last, w - ctx.measureText(last).width - 2, h - 4);
    }
    series.forEach((s, k) => {
      if (s.length < 2) return;
      ctx.strokeStyle = colors[k]; ctx.lineWidth = 2; ctx.beginPath();
      s.forEach((v, i) => {
        const x = padL + (w - padL) * i / (s.length - 1);
        const y = padT + (h - padT - padB) * (1 - v / max);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.stroke();
    });
  };
  function niceMax(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }
  function format(v) {
    if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k';
    return v % 1 === 0 ? String(v) : v.toFixed(1);
  }
};
