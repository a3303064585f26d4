-- CreateTable
CREATE TABLE "popular_searches" (
    "tag" TEXT NOT NULL,
    "person_key" TEXT NOT NULL,
    "searched_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "popular_searches_pkey" PRIMARY KEY ("tag","person_key")
);

-- CreateTable
CREATE TABLE "popular_matches" (
    "id" SERIAL NOT NULL,
    "tag" TEXT NOT NULL,
    "matched_at" TIMESTAMP(3) NOT NULL,
    "wait_ms" INTEGER NOT NULL,

    CONSTRAINT "popular_matches_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "popular_searches_tag_searched_at_idx" ON "popular_searches"("tag", "searched_at");

-- CreateIndex
CREATE INDEX "popular_searches_searched_at_idx" ON "popular_searches"("searched_at");

-- CreateIndex
CREATE INDEX "popular_matches_tag_matched_at_wait_ms_idx" ON "popular_matches"("tag", "matched_at", "wait_ms");

-- CreateIndex
CREATE INDEX "popular_matches_matched_at_idx" ON "popular_matches"("matched_at");
