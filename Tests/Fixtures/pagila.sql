-- A database in the shape of pagila (the PostgreSQL port of Sakila, a public sample
-- database): an enum, a domain, arrays, tsvector with its trigger, bytea, numeric(5,2),
-- timestamptz, a partitioned payment table, views, last_update triggers, composite keys,
-- and store and staff pointing at each other through NOT NULL foreign keys. Written from
-- the published schema by a tester (no network here), rows made by generate_series with
-- awkward values: BC and infinite dates, emoji, a 100,000-character name, empty strings.
CREATE TYPE mpaa_rating AS ENUM ('G','PG','PG-13','R','NC-17');
CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.last_update = CURRENT_TIMESTAMP; RETURN NEW; END $$;
CREATE TABLE country (country_id serial PRIMARY KEY, country text NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE city (city_id serial PRIMARY KEY, city text NOT NULL, country_id smallint NOT NULL REFERENCES country ON UPDATE CASCADE ON DELETE RESTRICT, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE address (address_id serial PRIMARY KEY, address text NOT NULL, address2 text, district text NOT NULL, city_id smallint NOT NULL REFERENCES city ON UPDATE CASCADE ON DELETE RESTRICT, postal_code text, phone text NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE language (language_id serial PRIMARY KEY, name character(20) NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE category (category_id serial PRIMARY KEY, name text NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE actor (actor_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, last_update timestamptz DEFAULT now() NOT NULL);
CREATE INDEX idx_actor_last_name ON actor(last_name);
CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL, description text, release_year year, language_id smallint NOT NULL REFERENCES language ON UPDATE CASCADE ON DELETE RESTRICT, original_language_id smallint REFERENCES language ON UPDATE CASCADE ON DELETE RESTRICT, rental_duration smallint DEFAULT 3 NOT NULL, rental_rate numeric(4,2) DEFAULT 4.99 NOT NULL, length smallint, replacement_cost numeric(5,2) DEFAULT 19.99 NOT NULL, rating mpaa_rating DEFAULT 'G', last_update timestamptz DEFAULT now() NOT NULL, special_features text[], fulltext tsvector NOT NULL);
CREATE INDEX film_fulltext_idx ON film USING gist (fulltext);
CREATE TRIGGER film_fulltext_trigger BEFORE INSERT OR UPDATE ON film FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger(fulltext, 'pg_catalog.english', title, description);
CREATE TABLE film_actor (actor_id smallint NOT NULL REFERENCES actor ON UPDATE CASCADE ON DELETE RESTRICT, film_id smallint NOT NULL REFERENCES film ON UPDATE CASCADE ON DELETE RESTRICT, last_update timestamptz DEFAULT now() NOT NULL, PRIMARY KEY (actor_id, film_id));
CREATE TABLE film_category (film_id smallint NOT NULL REFERENCES film, category_id smallint NOT NULL REFERENCES category, last_update timestamptz DEFAULT now() NOT NULL, PRIMARY KEY (film_id, category_id));
CREATE TABLE store (store_id serial PRIMARY KEY, manager_staff_id smallint NOT NULL, address_id smallint NOT NULL REFERENCES address, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE staff (staff_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, address_id smallint NOT NULL REFERENCES address, email text, store_id smallint NOT NULL REFERENCES store, active boolean DEFAULT true NOT NULL, username text NOT NULL, password text, last_update timestamptz DEFAULT now() NOT NULL, picture bytea);
ALTER TABLE store ADD CONSTRAINT store_manager_staff_id_fkey FOREIGN KEY (manager_staff_id) REFERENCES staff DEFERRABLE INITIALLY DEFERRED;
CREATE UNIQUE INDEX idx_unq_manager_staff_id ON store (manager_staff_id);
CREATE TABLE customer (customer_id serial PRIMARY KEY, store_id smallint NOT NULL REFERENCES store, first_name text NOT NULL, last_name text NOT NULL, email text, address_id smallint NOT NULL REFERENCES address, activebool boolean DEFAULT true NOT NULL, create_date date DEFAULT CURRENT_DATE NOT NULL, last_update timestamptz DEFAULT now(), active integer);
CREATE TABLE inventory (inventory_id serial PRIMARY KEY, film_id smallint NOT NULL REFERENCES film, store_id smallint NOT NULL REFERENCES store, last_update timestamptz DEFAULT now() NOT NULL);
CREATE TABLE rental (rental_id serial PRIMARY KEY, rental_date timestamptz NOT NULL, inventory_id integer NOT NULL REFERENCES inventory, customer_id smallint NOT NULL REFERENCES customer, return_date timestamptz, staff_id smallint NOT NULL REFERENCES staff, last_update timestamptz DEFAULT now() NOT NULL);
CREATE UNIQUE INDEX idx_unq_rental_rental_date_inventory_id_customer_id ON rental (rental_date, inventory_id, customer_id);
CREATE TABLE payment (payment_id serial NOT NULL, customer_id smallint NOT NULL REFERENCES customer, staff_id smallint NOT NULL REFERENCES staff, rental_id integer NOT NULL REFERENCES rental, amount numeric(5,2) NOT NULL, payment_date timestamptz NOT NULL, PRIMARY KEY (payment_date, payment_id)) PARTITION BY RANGE (payment_date);
CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00');
CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01 00:00:00+00') TO ('2022-03-01 00:00:00+00');
CREATE TABLE payment_p2022_03 PARTITION OF payment FOR VALUES FROM ('2022-03-01 00:00:00+00') TO ('2022-04-01 00:00:00+00');
CREATE TABLE payment_p2022_04 PARTITION OF payment FOR VALUES FROM ('2022-04-01 00:00:00+00') TO ('2022-05-01 00:00:00+00');
CREATE TABLE payment_p2022_05 PARTITION OF payment FOR VALUES FROM ('2022-05-01 00:00:00+00') TO ('2022-06-01 00:00:00+00');
CREATE TABLE payment_p2022_06 PARTITION OF payment FOR VALUES FROM ('2022-06-01 00:00:00+00') TO ('2022-07-01 00:00:00+00');
CREATE TABLE payment_p2022_07 PARTITION OF payment FOR VALUES FROM ('2022-07-01 00:00:00+00') TO ('2022-08-01 00:00:00+00');
CREATE TABLE payment_default PARTITION OF payment DEFAULT;
CREATE VIEW actor_info AS SELECT a.actor_id, a.first_name, a.last_name, count(fa.film_id) AS films FROM actor a LEFT JOIN film_actor fa USING (actor_id) GROUP BY a.actor_id;
CREATE VIEW customer_list AS SELECT cu.customer_id AS id, cu.first_name || ' ' || cu.last_name AS name, a.address, a.postal_code AS "zip code", a.phone, city.city, country.country FROM customer cu JOIN address a USING (address_id) JOIN city USING (city_id) JOIN country USING (country_id);
CREATE MATERIALIZED VIEW rental_by_category AS SELECT c.name AS category, sum(p.amount) AS total_sales FROM payment p JOIN rental r USING (rental_id) JOIN inventory i USING (inventory_id) JOIN film f USING (film_id) JOIN film_category fc USING (film_id) JOIN category c USING (category_id) GROUP BY c.name WITH NO DATA;
DO $$ DECLARE t text; BEGIN FOREACH t IN ARRAY ARRAY['actor','address','category','city','country','customer','film','film_actor','film_category','inventory','language','rental','staff','store'] LOOP EXECUTE format('CREATE TRIGGER last_updated BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION last_updated()', t); END LOOP; END $$;

-- data
INSERT INTO country (country, last_update) SELECT CASE WHEN g=1 THEN 'Côte d''Ivoire' WHEN g=2 THEN '日本 🇯🇵' ELSE 'Country '||g END, '2006-02-15 09:44:00+00' FROM generate_series(1,109) g;
INSERT INTO city (city, country_id, last_update) SELECT 'City '||g, 1+(g%109), '2006-02-15 09:45:25+00' FROM generate_series(1,600) g;
INSERT INTO address (address, address2, district, city_id, postal_code, phone, last_update) SELECT g||' Main St', CASE WHEN g%3=0 THEN NULL WHEN g%3=1 THEN '' ELSE 'Apt '||g END, 'D'||g, 1+(g%600), CASE WHEN g%7=0 THEN NULL ELSE lpad((g*13)::text,5,'0') END, '', '2006-02-15 09:45:30+00' FROM generate_series(1,603) g;
INSERT INTO language (name) VALUES ('English'),('Italian'),('Japanese'),('Mandarin'),('French'),('German');
INSERT INTO category (name) SELECT 'Cat'||g FROM generate_series(1,16) g;
INSERT INTO actor (first_name, last_name, last_update) SELECT CASE WHEN g=1 THEN 'PENÉLOPE 😀' WHEN g=2 THEN repeat('x', 100000) ELSE 'FN'||g END, 'LN'||(g%50), '2013-05-26 14:47:57.62+00' FROM generate_series(1,200) g;
INSERT INTO film (title, description, release_year, language_id, original_language_id, rental_duration, rental_rate, length, replacement_cost, rating, special_features)
SELECT 'FILM '||g, CASE WHEN g%10=0 THEN NULL ELSE 'A '||g||' story with "quotes" and \backslash' END, 1901+(g%250), 1, CASE WHEN g%5=0 THEN 2 ELSE NULL END, 3+(g%5), (g%100)/10.0+0.99, 46+(g%140), 9.99+(g%20), (ARRAY['G','PG','PG-13','R','NC-17'])[1+g%5]::mpaa_rating,
CASE g%6 WHEN 0 THEN NULL WHEN 1 THEN '{}'::text[] WHEN 2 THEN ARRAY['Trailers','Deleted Scenes'] WHEN 3 THEN ARRAY[NULL,'Behind the Scenes'] WHEN 4 THEN ARRAY['a "quoted" one','with,comma','{brace}','back\slash','NULL'] ELSE ARRAY['Commentaries'] END
FROM generate_series(1,1000) g;
INSERT INTO film_actor (actor_id, film_id, last_update) SELECT DISTINCT 1+(g%200), 1+((g*7)%1000), '2006-02-15 10:05:03+00'::timestamptz FROM generate_series(1,5462) g;
INSERT INTO film_category (film_id, category_id, last_update) SELECT g, 1+(g%16), '2006-02-15 10:07:09+00' FROM generate_series(1,1000) g;
BEGIN;
INSERT INTO store (store_id, manager_staff_id, address_id) VALUES (1,1,1),(2,2,2);
INSERT INTO staff (first_name,last_name,address_id,email,store_id,username,password,picture) VALUES ('Mike','Hillyer',3,'Mike.Hillyer@sakilastaff.com',1,'Mike','8cb2237d0679ca88db6464eac60da96345513964', '\x89504e470d0a1a0a0000000d49484452000000'::bytea),('Jon','Stephens',4,'Jon.Stephens@sakilastaff.com',2,'Jon',NULL,'\x00'::bytea),('Zero','Bytes',5,NULL,2,'zb',NULL,'\x'::bytea);
COMMIT;
SELECT setval('store_store_id_seq', 2);
INSERT INTO customer (store_id, first_name, last_name, email, address_id, activebool, create_date, last_update, active) SELECT 1+(g%2), 'CFN'||g, 'CLN'||g, CASE WHEN g%9=0 THEN NULL ELSE 'c'||g||'@x.org' END, 5+(g%590), g%11<>0, CASE WHEN g=1 THEN '0044-03-15 BC'::date WHEN g=2 THEN '9999-12-31'::date WHEN g=3 THEN 'infinity'::date WHEN g=4 THEN '1900-01-01' ELSE '2006-02-14'::date END, CASE WHEN g=1 THEN 'infinity'::timestamptz WHEN g=2 THEN '-infinity' WHEN g=3 THEN '1969-12-31 23:59:59.999999+00' WHEN g=4 THEN '4000-01-01 00:00:00.123456+05:30' WHEN g=5 THEN NULL ELSE '2013-05-26 14:49:45.738+00' END, CASE WHEN g%20=0 THEN 0 ELSE 1 END FROM generate_series(1,599) g;
INSERT INTO inventory (film_id, store_id, last_update) SELECT 1+(g%1000), 1+(g%2), '2006-02-15 10:09:17+00' FROM generate_series(1,1000) g;
INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id, last_update) SELECT timestamptz '2022-01-01 00:00:00+00' + (g||' minutes')::interval * 40, 1+(g%1000), 1+(g%599), CASE WHEN g%50=0 THEN NULL ELSE timestamptz '2022-01-05 00:00:00+00' + (g||' minutes')::interval*40 END, 1+(g%2), '2022-02-16 02:30:53+00' FROM generate_series(1,2000) g;
INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) SELECT r.customer_id, r.staff_id, r.rental_id, CASE WHEN r.rental_id%97=0 THEN 0.00 ELSE ((r.rental_id%1200)/100.0)-0.01 END, r.rental_date + interval '1 hour' FROM rental r;
