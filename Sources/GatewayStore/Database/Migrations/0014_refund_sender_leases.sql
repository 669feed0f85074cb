-- The right to write for one hot wallet's refund sender. The advisory lock keeps a second
-- process away; the epoch fences out this process's own abandoned calls: a sender whose database
-- call had no answer within its deadline starts again under a new epoch, and every write
-- transaction of the sender first checks (and share-locks) its epoch, so the abandoned call can
-- never write after the new pass began.
CREATE TABLE refund_sender_leases (
    network     text        NOT NULL,
    address     text        NOT NULL,
    epoch       bigint      NOT NULL CHECK (epoch > 0),
    holder      text        NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network, address)
);
