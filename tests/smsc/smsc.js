// A small SMSC for the tests: speaks SMPP 3.4 through the npm `smpp` package (its server side),
// prints each submit_sm it receives as one JSON line, and answers as told by its environment:
//   SMSC_PORT      port to listen on (0: any; the first line printed is {"port": N})
//   SMSC_SYSTEM_ID / SMSC_PASSWORD   the only credentials it binds
//   SMSC_REJECT    destinations answered ESME_RINVDSTADR (a number the operator does not serve)
//   SMSC_THROTTLE  how many submit_sm are answered ESME_RTHROTTLED before it accepts
//   SMSC_DELAY_MS  how long it waits before each answer (a slow SMSC)
const smpp = require("smpp");

const systemId = process.env.SMSC_SYSTEM_ID || "accueil";
const password = process.env.SMSC_PASSWORD || "secret";
const reject = new Set((process.env.SMSC_REJECT || "").split(",").filter(Boolean));
let throttle = parseInt(process.env.SMSC_THROTTLE || "0", 10);
const delay = parseInt(process.env.SMSC_DELAY_MS || "0", 10);
let nextId = 1;

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

const server = smpp.createServer(function (session) {
  let bound = false;
  session.on("error", function () {});
  session.on("bind_transmitter", function (pdu) {
    if (pdu.system_id !== systemId || pdu.password !== password) {
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      out({ event: "bind_refused", system_id: pdu.system_id });
      session.close();
      return;
    }
    bound = true;
    out({ event: "bind", system_id: pdu.system_id });
    session.send(pdu.response());
  });
  session.on("enquire_link", function (pdu) {
    session.send(pdu.response());
  });
  session.on("unbind", function (pdu) {
    session.send(pdu.response());
    session.close();
  });
  session.on("submit_sm", function (pdu) {
    if (!bound) {
      session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    const message = pdu.short_message || {};
    const record = {
      event: "submit_sm",
      destination_addr: pdu.destination_addr,
      dest_addr_ton: pdu.dest_addr_ton,
      dest_addr_npi: pdu.dest_addr_npi,
      source_addr: pdu.source_addr,
      source_addr_ton: pdu.source_addr_ton,
      data_coding: pdu.data_coding,
      esm_class: pdu.esm_class,
      udh: (message.udh || []).map(function (u) { return Buffer.from(u).toString("hex"); }),
      text: typeof message === "string" ? message : message.message,
    };
    let status = smpp.ESME_ROK;
    if (reject.has(pdu.destination_addr)) {
      status = smpp.ESME_RINVDSTADR;
    } else if (throttle > 0) {
      throttle -= 1;
      status = smpp.ESME_RTHROTTLED;
    }
    record.status = status;
    out(record);
    const answer = function () {
      session.send(pdu.response(status === smpp.ESME_ROK
        ? { message_id: String(nextId++) } : { command_status: status }));
    };
    if (delay > 0) setTimeout(answer, delay); else answer();
  });
});

server.listen(parseInt(process.env.SMSC_PORT || "0", 10), "127.0.0.1", function () {
  out({ port: server.address().port });
});
